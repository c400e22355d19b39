//! Properties of specs and keys over many generated inputs: one spec has one
//! spelling, parsing never panics, and no key escapes `variants/`.

use proptest::prelude::*;
use stratus_media::key::variant_key;
use stratus_media::{Fit, Format, Gravity, VariantSpec};

fn any_fit() -> impl Strategy<Value = Fit> {
    prop_oneof![
        Just(Fit::Cover),
        Just(Fit::Contain),
        Just(Fit::Fill),
        Just(Fit::Inside)
    ]
}

fn any_format() -> impl Strategy<Value = Format> {
    prop_oneof![
        Just(Format::Jpeg),
        Just(Format::Png),
        Just(Format::Webp),
        Just(Format::Avif),
        Just(Format::Auto)
    ]
}

fn any_gravity() -> impl Strategy<Value = Gravity> {
    proptest::sample::select(Gravity::ALL.to_vec())
}

fn any_valid_spec() -> impl Strategy<Value = VariantSpec> {
    (
        proptest::option::of(1u32..=8192),
        proptest::option::of(1u32..=8192),
        any_fit(),
        any_gravity(),
        any::<bool>(),
        any_format(),
        proptest::option::of(1u8..=100),
    )
        .prop_filter_map(
            "invalid combination",
            |(w, h, fit, gravity, up, format, q)| {
                VariantSpec::new(w, h, fit, gravity, up, format, q).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_spec_has_one_spelling_that_parses_back(spec in any_valid_spec()) {
        let text = spec.to_string();
        prop_assert_eq!(VariantSpec::parse(&text).unwrap(), spec);
    }

    #[test]
    fn whatever_parses_is_already_canonical(text in "[0-9_x]{1,6}-[a-z]{4,7}(-north|-centre|-focus|-[a-z]{4,9})?(-up|-[a-z]{2})?(-q[0-9]{1,4})?(-up)?\\.[a-z]{3,4}") {
        if let Ok(spec) = VariantSpec::parse(&text) {
            prop_assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,80}") {
        let _ = VariantSpec::parse(&text);
    }

    #[test]
    fn variant_keys_never_escape_variants(original in "[a-z./\\\\\u{0}-\u{1f}é]{0,40}") {
        if let Ok(key) = variant_key("thumb", &original, "webp") {
            prop_assert!(key.starts_with("variants/") && key.ends_with("/thumb.webp"));
            prop_assert!(!key.split('/').any(|s| s == ".." || s == "." || s.is_empty()), "{}", key);
            prop_assert!(!key.chars().any(|c| c.is_control() || c == '\\'));
        }
    }
}
