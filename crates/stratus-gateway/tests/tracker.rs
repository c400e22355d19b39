//! The tracker script run in Node with a minimal page around it: what it
//! sends when a page with a reset token in its URL is viewed, a button
//! and a filled-in input are clicked and a form is submitted, with the
//! write key of its `data-key` attribute.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use serde_json::Value;

/// A fake page: `location` with a token in the query and fragment, a
/// button, an input holding a typed value, a form; `fetch` records bodies.
const HARNESS: &str = r#"
const handlers = {};
const sent = [];
function el(tag, props) {
  return Object.assign({ tagName: tag.toUpperCase(), id: "", innerText: "",
    getAttribute(n) { return (this.attrs || {})[n] || null; },
    closest() { return this; } }, props);
}
globalThis.window = globalThis;
globalThis.location = { href: "https://shop.example.com/reset?token=s3cret&utm_source=mail&ref=x#code=42",
  pathname: "/reset", origin: "https://shop.example.com" };
globalThis.document = {
  title: "Reset", referrer: "https://mail.example.com/inbox?session=abc",
  visibilityState: "visible",
  currentScript: { src: "https://collector.example.com/t.js",
    getAttribute(n) { return { "data-keep-params": "ref", "data-key": "stratus_pk_test" }[n] || null; },
    hasAttribute() { return false; } },
  addEventListener(type, fn) { handlers[type] = fn; },
};
Object.defineProperty(globalThis, "navigator", { value: { language: "en" }, configurable: true });
globalThis.fetch = (url, init) => { sent.push(JSON.parse(init.body)); return Promise.resolve({ status: 200, json: () => Promise.resolve({}) }); };
require(process.argv[1]);
handlers.click({ target: el("button", { innerText: "Buy now" }) });
handlers.click({ target: el("input", { type: "button", value: "jane@example.com", attrs: { "data-track": "Email Copied" } }) });
const form = el("form", { attrs: { name: "signup" }, checkValidity: () => true,
  elements: [ { name: "email", type: "email", value: "jane@example.com", validity: { valid: true } } ] });
handlers.submit({ target: form });
window.stratus.flush().then(() => console.log(JSON.stringify(sent)));
"#;

#[test]
fn the_tracker_strips_urls_and_never_sends_input_values() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/t.js");
    let run = Command::new("node").args(["-e", HARNESS, script]).output();
    let Ok(run) = run else {
        assert_ne!(
            std::env::var("STRATUS_REQUIRE_SERVICES").as_deref(),
            Ok("1"),
            "node is needed for the tracker test"
        );
        eprintln!("skipped: node is not installed");
        return;
    };
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(
        !text.contains("s3cret"),
        "the reset token left the page: {text}"
    );
    assert!(
        !text.contains("code=42"),
        "the fragment left the page: {text}"
    );
    assert!(
        !text.contains("session=abc"),
        "the referrer's query left: {text}"
    );
    assert!(
        !text.contains("jane@example.com"),
        "an input value left the page: {text}"
    );
    let sent: Vec<Value> = serde_json::from_str(text.trim()).unwrap();
    let events: Vec<&Value> = sent
        .iter()
        .flat_map(|b| b["batch"].as_array().unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["$pageview", "Clicked", "Email Copied", "Form Submitted"]
    );
    assert_eq!(
        events[0]["context"]["url"], "https://shop.example.com/reset?utm_source=mail&ref=x",
        "utm_* and allow-listed parameters are kept"
    );
    assert_eq!(
        events[0]["context"]["referrer"],
        "https://mail.example.com/inbox"
    );
    assert!(
        sent.iter().all(|b| b["writeKey"] == "stratus_pk_test"),
        "every batch carries the write key of `data-key`: {text}"
    );
    assert_eq!(events[1]["context"]["element"]["text"], "Buy now");
    assert_eq!(events[3]["properties"]["fields"], "email");
}
