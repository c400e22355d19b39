//! Envelope validation and enrichment: what is accepted, what is rejected
//! with which code, and how `ts` is derived.

#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use stratus_events::envelope::validate::{validate, Limits, RequestMeta};
use stratus_events::envelope::{format_millis, parse_millis, EventType};

const RECEIVED: i64 = 1_795_705_200_000; // 2026-11-26T15:00:00Z

fn request() -> RequestMeta {
    RequestMeta {
        received_at: RECEIVED,
        request_id: Some("req-1".into()),
        ip: Some("203.0.113.77".into()),
        sent_at: None,
    }
}

fn good() -> Value {
    json!({
        "event_id": "0192f3a0-7c1e-7a00-8000-00000000abcd",
        "type": "track",
        "event": "Form Submitted",
        "distinct_id": "cust-00042",
        "session_id": "sess-1",
        "client_ts": "2026-11-26T16:59:55.000Z",
        "sent_at": "2026-11-26T17:00:00.000Z",
        "properties": {"form": "signup", "valid": false, "invalid_fields": "email"},
        "context": {"url": "https://shop.example.com/signup", "tz": "Europe/Paris",
                    "element": {"tag": "form", "id": "signup"}}
    })
}

fn codes(raw: &Value) -> Vec<&'static str> {
    validate(raw, &request(), &Limits::default())
        .unwrap_err()
        .iter()
        .map(|e| e.code())
        .collect()
}

#[test]
fn a_good_event_is_enriched_with_corrected_ts_and_truncated_ip() {
    let env = validate(&good(), &request(), &Limits::default()).unwrap();
    assert_eq!(env.kind, EventType::Track);
    // Client clock 2 h fast, event 5 s before send → 5 s before receipt.
    assert_eq!(env.ts_millis(), Some(RECEIVED - 5_000));
    assert_eq!(env.received_at, "2026-11-26T15:00:00.000Z");
    assert_eq!(env.collector.ip.as_deref(), Some("203.0.113.0"));
    assert_eq!(env.collector.request_id.as_deref(), Some("req-1"));
    assert_eq!(env.context.tz.as_deref(), Some("Europe/Paris"));
    // Round trip through the line format.
    let line = serde_json::to_string(&env).unwrap();
    assert!(line.contains(r#""type":"track""#), "{line}");
    assert_eq!(
        serde_json::from_str::<stratus_events::envelope::Envelope>(&line).unwrap(),
        env
    );
}

#[test]
fn missing_timestamps_fall_back_to_received_at() {
    let mut raw = good();
    raw.as_object_mut().unwrap().remove("client_ts");
    let env = validate(&raw, &request(), &Limits::default()).unwrap();
    assert_eq!(env.ts_millis(), Some(RECEIVED));

    let mut raw = good();
    raw.as_object_mut().unwrap().remove("sent_at");
    let env = validate(&raw, &request(), &Limits::default()).unwrap();
    assert_eq!(env.ts_millis(), Some(RECEIVED));
}

#[test]
fn the_batch_sent_at_is_used_when_the_event_has_none() {
    let mut raw = good();
    raw.as_object_mut().unwrap().remove("sent_at");
    let req = RequestMeta {
        sent_at: Some("2026-11-26T17:00:00.000Z".into()),
        ..request()
    };
    let env = validate(&raw, &req, &Limits::default()).unwrap();
    assert_eq!(env.ts_millis(), Some(RECEIVED - 5_000));
}

#[test]
fn malformed_timestamp_strings_are_kept_and_ts_falls_back() {
    let mut raw = good();
    raw["client_ts"] = json!("26/11/2026 16:59");
    let env = validate(&raw, &request(), &Limits::default()).unwrap();
    assert_eq!(env.ts_millis(), Some(RECEIVED));
    assert_eq!(env.client_ts.as_deref(), Some("26/11/2026 16:59"));
}

#[test]
fn a_timestamp_that_is_not_a_string_is_rejected() {
    let mut raw = good();
    raw["client_ts"] = json!(1_795_705_195_000_i64);
    assert_eq!(codes(&raw), vec!["invalid_field"]);
}

#[test]
fn future_beyond_23_hours_falls_back_to_received_at() {
    let mut raw = good();
    raw["sent_at"] = json!(format_millis(RECEIVED));
    raw["client_ts"] = json!(format_millis(RECEIVED + 24 * 3_600_000));
    let env = validate(&raw, &request(), &Limits::default()).unwrap();
    assert_eq!(env.ts_millis(), Some(RECEIVED));
    raw["client_ts"] = json!(format_millis(RECEIVED + 22 * 3_600_000));
    let env = validate(&raw, &request(), &Limits::default()).unwrap();
    assert_eq!(env.ts_millis(), Some(RECEIVED + 22 * 3_600_000));
}

#[test]
fn every_problem_of_an_event_is_reported_at_once() {
    let raw =
        json!({"event_id": "not-a-uuid", "type": "track", "properties": {"nested": {"a": 1}}});
    let mut got = codes(&raw);
    got.sort_unstable();
    assert_eq!(
        got,
        vec![
            "invalid_event_id",
            "missing_field",
            "missing_field",
            "properties_not_flat"
        ]
    );
}

#[test]
fn required_fields_and_types_are_checked() {
    assert_eq!(codes(&json!("click")), vec!["not_an_object"]);
    let mut raw = good();
    raw.as_object_mut().unwrap().remove("event_id");
    assert_eq!(codes(&raw), vec!["missing_field"]);
    let mut raw = good();
    raw["type"] = json!("screen");
    assert_eq!(codes(&raw), vec!["unknown_type"]);
    // An alias names the id it joins; a group its account.
    let mut raw = good();
    raw["type"] = json!("alias");
    assert_eq!(codes(&raw), vec!["missing_field"]);
    raw["previous_id"] = json!("anon-1");
    assert!(validate(&raw, &request(), &Limits::default()).is_ok());
    raw["type"] = json!("group");
    assert_eq!(codes(&raw), vec!["missing_field"]);
    raw["group_id"] = json!("acme");
    let group = validate(&raw, &request(), &Limits::default()).unwrap();
    assert_eq!(group.group_id.as_deref(), Some("acme"));
    let mut raw = good();
    raw["distinct_id"] = json!("");
    assert_eq!(codes(&raw), vec!["missing_field"], "an id is required");
    raw["anonymous_id"] = json!("dev-1");
    assert!(
        validate(&raw, &request(), &Limits::default()).is_ok(),
        "an anonymous id is enough"
    );
}

#[test]
fn page_and_identify_get_a_default_name_but_track_does_not() {
    let mut raw = good();
    raw.as_object_mut().unwrap().remove("event");
    assert_eq!(codes(&raw), vec!["missing_field"]);
    raw["type"] = json!("page");
    let env = validate(&raw, &request(), &Limits::default()).unwrap();
    assert_eq!(env.event, "$pageview");
}

#[test]
fn sizes_are_bounded() {
    let mut raw = good();
    raw["event"] = json!("x".repeat(201));
    assert_eq!(codes(&raw), vec!["invalid_field"]);
    let mut raw = good();
    let big: serde_json::Map<String, Value> = (0..200)
        .map(|i| (format!("field_{i}"), json!("y".repeat(40))))
        .collect();
    raw["properties"] = Value::Object(big);
    let errors = validate(&raw, &request(), &Limits::default()).unwrap_err();
    assert_eq!(errors[0].code(), "too_large");
    assert!(
        errors[0].to_string().contains("8192-byte limit"),
        "{}",
        errors[0]
    );
    let mut raw = good();
    raw["padding"] = json!("z".repeat(40_000));
    assert_eq!(codes(&raw), vec!["too_large"]);
}

#[test]
fn rfc3339_with_offsets_is_understood() {
    assert_eq!(parse_millis("2026-11-26T16:00:00+01:00"), Some(RECEIVED));
    assert_eq!(parse_millis("2026-11-26 15:00:00"), None);
}
