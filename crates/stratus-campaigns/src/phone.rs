//! Phone numbers: validated and normalised to E.164 with libphonenumber's rules.

use std::str::FromStr;

use phonenumber::country;
use phonenumber::Mode;

/// Parses `raw` (any common human spelling) into E.164.
///
/// Numbers without a leading `+` (or `00`) need `default_region`, an ISO
/// 3166 alpha-2 code such as `US` or `DE`. The error says why the number was
/// refused, for the import report.
pub fn normalize(raw: &str, default_region: Option<&str>) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("the phone number is empty".into());
    }
    let international = trimmed.starts_with('+') || trimmed.starts_with("00");
    // A `+` number carries its country; the default region would only confuse the parser.
    let region = match default_region {
        _ if international => None,
        Some(code) => Some(
            country::Id::from_str(&code.trim().to_ascii_uppercase())
                .map_err(|_| format!("`{code}` is not a known region code"))?,
        ),
        None => {
            return Err(format!(
                "phone `{trimmed}` has no country code: write it as +<country><number> or choose a default region"
            ))
        }
    };
    let cleaned = trimmed
        .strip_prefix("00")
        .map_or_else(|| trimmed.to_string(), |rest| format!("+{rest}"));
    let number = phonenumber::parse(region, &cleaned)
        .map_err(|e| format!("phone `{trimmed}` cannot be parsed: {e}"))?;
    if !phonenumber::is_valid(&number) {
        return Err(format!("phone `{trimmed}` is not a valid number"));
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings_to_e164() {
        assert_eq!(
            normalize("+1 (202) 555-0143", None).unwrap(),
            "+12025550143"
        );
        assert_eq!(normalize("0049 30 901820", None).unwrap(), "+4930901820");
        assert_eq!(normalize("030 901820", Some("de")).unwrap(), "+4930901820");
        assert_eq!(
            normalize("07911 123456", Some("GB")).unwrap(),
            "+447911123456"
        );
    }

    #[test]
    fn refuses_what_cannot_be_a_number() {
        assert!(normalize("", None).is_err());
        assert!(normalize("12345", None)
            .unwrap_err()
            .contains("country code"));
        assert!(normalize("+1 555", None).is_err());
        assert!(normalize("not a phone", Some("US")).is_err());
        assert!(normalize("202 555 0143", Some("XX"))
            .unwrap_err()
            .contains("region"));
    }
}
