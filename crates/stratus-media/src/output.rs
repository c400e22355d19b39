//! Concrete output formats and content negotiation for `auto`.

use crate::spec::Format;

/// A format an image is actually encoded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Jpeg,
    Png,
    Webp,
    Avif,
}

impl OutputFormat {
    /// File extension used in variant keys.
    pub fn ext(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
            OutputFormat::Avif => "avif",
        }
    }

    /// The output format a variant key's extension names, if a spec of
    /// `format` can be stored in it (`auto` may be AVIF, WebP or JPEG).
    pub fn from_ext_for(ext: &str, format: Format) -> Option<OutputFormat> {
        let output = [
            OutputFormat::Jpeg,
            OutputFormat::Png,
            OutputFormat::Webp,
            OutputFormat::Avif,
        ]
        .into_iter()
        .find(|o| o.ext() == ext)?;
        let fits = match format {
            Format::Auto => output != OutputFormat::Png,
            concrete => OutputFormat::negotiate(concrete, None) == output,
        };
        fits.then_some(output)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
            OutputFormat::Avif => "image/avif",
        }
    }

    /// The concrete format for a spec's format; `auto` takes the best the
    /// client's `Accept` header allows (AVIF, then WebP, else JPEG).
    pub fn negotiate(format: Format, accept: Option<&str>) -> OutputFormat {
        match format {
            Format::Jpeg => OutputFormat::Jpeg,
            Format::Png => OutputFormat::Png,
            Format::Webp => OutputFormat::Webp,
            Format::Avif => OutputFormat::Avif,
            Format::Auto => {
                let accepts = |mime: &str| {
                    accept.is_some_and(|a| {
                        a.split(',').any(|part| {
                            let mut fields = part.split(';');
                            let name = fields.next().unwrap_or("").trim();
                            // `q=0` means "not acceptable".
                            let refused = fields.any(|p| {
                                p.trim()
                                    .strip_prefix("q=")
                                    .and_then(|q| q.trim().parse::<f32>().ok())
                                    .is_some_and(|q| q <= 0.0)
                            });
                            name.eq_ignore_ascii_case(mime) && !refused
                        })
                    })
                };
                if accepts("image/avif") {
                    OutputFormat::Avif
                } else if accepts("image/webp") {
                    OutputFormat::Webp
                } else {
                    OutputFormat::Jpeg
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_the_best_accepted_format() {
        let chrome = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8";
        assert_eq!(
            OutputFormat::negotiate(Format::Auto, Some(chrome)),
            OutputFormat::Avif
        );
        assert_eq!(
            OutputFormat::negotiate(Format::Auto, Some("image/webp,*/*")),
            OutputFormat::Webp
        );
        assert_eq!(
            OutputFormat::negotiate(Format::Auto, Some("image/avif;q=0, image/webp")),
            OutputFormat::Webp
        );
        assert_eq!(
            OutputFormat::negotiate(Format::Auto, None),
            OutputFormat::Jpeg
        );
        assert_eq!(
            OutputFormat::negotiate(Format::Png, Some(chrome)),
            OutputFormat::Png
        );
    }

    #[test]
    fn a_key_extension_names_a_format_the_spec_can_be_stored_in() {
        use OutputFormat::*;
        assert_eq!(OutputFormat::from_ext_for("webp", Format::Auto), Some(Webp));
        assert_eq!(OutputFormat::from_ext_for("jpeg", Format::Auto), Some(Jpeg));
        assert_eq!(OutputFormat::from_ext_for("png", Format::Auto), None);
        assert_eq!(OutputFormat::from_ext_for("png", Format::Png), Some(Png));
        assert_eq!(OutputFormat::from_ext_for("webp", Format::Jpeg), None);
        assert_eq!(OutputFormat::from_ext_for("jpg", Format::Jpeg), None);
        assert_eq!(OutputFormat::from_ext_for("auto", Format::Auto), None);
    }
}
