//! SMS length: encoding detection (GSM-7 or UCS-2) and part count.

/// How the text travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    /// The GSM 03.38 alphabet: 7-bit septets; extension characters cost two.
    Gsm7,
    /// Anything else: UTF-16 code units.
    Ucs2,
}

/// What a message costs in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLength {
    pub encoding: SmsEncoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub parts: usize,
    /// Units one part holds at this length: 160/153 for GSM-7, 70/67 for UCS-2.
    pub per_part: usize,
}

/// GSM 03.38 basic character set (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table (escape + character: two septets each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

fn gsm_septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Measures `text` as an SMS.
pub fn measure(text: &str) -> SmsLength {
    let septets: Option<Vec<usize>> = text.chars().map(gsm_septets).collect();
    match septets {
        Some(units) => split(SmsEncoding::Gsm7, &units, 160, 153),
        None => {
            let units: Vec<usize> = text.chars().map(char::len_utf16).collect();
            split(SmsEncoding::Ucs2, &units, 70, 67)
        }
    }
}

/// Counts parts; a character's units (an escape pair, a surrogate pair) are
/// never split across two parts, as phones do it.
fn split(encoding: SmsEncoding, units: &[usize], single: usize, multi: usize) -> SmsLength {
    let total: usize = units.iter().sum();
    if total <= single {
        return SmsLength {
            encoding,
            units: total,
            parts: 1,
            per_part: single,
        };
    }
    let mut parts = 1;
    let mut used = 0;
    for &u in units {
        if used + u > multi {
            parts += 1;
            used = 0;
        }
        used += u;
    }
    SmsLength {
        encoding,
        units: total,
        parts,
        per_part: multi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_fits_160_then_153_per_part() {
        let m = measure(&"a".repeat(160));
        assert_eq!((m.encoding, m.units, m.parts), (SmsEncoding::Gsm7, 160, 1));
        assert_eq!(measure(&"a".repeat(161)).parts, 2);
        assert_eq!(measure(&"a".repeat(306)).parts, 2);
        assert_eq!(measure(&"a".repeat(307)).parts, 3);
        assert_eq!(measure("").parts, 1);
    }

    #[test]
    fn extension_characters_count_double_and_are_not_split() {
        let m = measure(&"€".repeat(80));
        assert_eq!((m.encoding, m.units, m.parts), (SmsEncoding::Gsm7, 160, 1));
        assert_eq!(measure(&"€".repeat(81)).parts, 2);
        // 152 septets then an escape pair: the pair moves to part two.
        let text = format!("{}{}{}", "a".repeat(152), "[", "a".repeat(10));
        assert_eq!(measure(&text).units, 164);
        assert_eq!(measure(&text).parts, 2);
        let boundary = format!("{}[{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(
            measure(&boundary).parts,
            3,
            "the pair cannot straddle parts"
        );
    }

    #[test]
    fn anything_outside_gsm_switches_to_ucs2() {
        let m = measure("Hi Zoë, Łódź calls");
        assert_eq!(m.encoding, SmsEncoding::Ucs2);
        assert_eq!((m.units, m.parts), (18, 1));
        assert_eq!(measure(&"ł".repeat(70)).parts, 1);
        assert_eq!(measure(&"ł".repeat(71)).parts, 2);
        assert_eq!(measure(&"ł".repeat(134)).parts, 2);
        assert_eq!(measure(&"ł".repeat(135)).parts, 3);
        // An emoji is two UTF-16 units.
        assert_eq!(measure("🎉").units, 2);
        assert_eq!(measure("é ü ñ").encoding, SmsEncoding::Gsm7);
    }
}
