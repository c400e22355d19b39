//! `stratus events keys` as an admin uses it: create (the token once),
//! list, revoke, publish to the events bucket; and `stratus serve` checking
//! the profile's keys (a revoke counts at once with `--keys-refresh 0s`).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod serve_support;
use serve_support::{batch, post, stratus, Server};

fn run(data: &Path, args: &[&str]) -> Output {
    stratus(data).args(args).output().unwrap()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The token line of `keys create`, and the key id of its first line.
fn created(out: &str) -> (String, String) {
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("created write key "))
        .unwrap_or_else(|| panic!("no id in {out}"))
        .trim()
        .to_string();
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once, store it now): "))
        .unwrap_or_else(|| panic!("no token in {out}"))
        .trim()
        .to_string();
    (id, token)
}

fn published_keys(data: &Path) -> String {
    ok(run(
        data,
        &[
            "store",
            "get",
            "collector/write-keys.json",
            "--bucket",
            "events",
        ],
    ))
}

#[test]
fn keys_are_created_listed_revoked_and_published_without_their_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let empty = ok(run(data, &["events", "keys", "list"]));
    assert!(empty.contains("no write keys"), "{empty}");

    // A browser key needs its origins: refused with a code, nothing made.
    let refused = run(
        data,
        &[
            "events", "keys", "create", "--kind", "browser", "--label", "shop web",
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("error[invalid_write_key]"), "{stderr}");

    let out = ok(run(
        data,
        &[
            "events",
            "keys",
            "create",
            "--kind",
            "browser",
            "--label",
            "shop web",
            "--origin",
            "https://shop.example.com",
            "--rate",
            "20",
            "--burst",
            "50",
        ],
    ));
    let (browser_id, browser_token) = created(&out);
    assert!(browser_token.starts_with("stratus_pk_"), "{out}");
    assert!(out.contains("published 1 keys"), "{out}");
    let out = ok(run(
        data,
        &[
            "events",
            "keys",
            "create",
            "--kind",
            "server",
            "--label",
            "order service",
        ],
    ));
    let (server_id, server_token) = created(&out);
    assert!(server_token.starts_with("stratus_sk_"), "{out}");

    let list = ok(run(data, &["events", "keys", "list"]));
    assert!(
        list.contains(&browser_id) && list.contains(&server_id),
        "{list}"
    );
    assert!(list.contains("https://shop.example.com"), "{list}");
    assert!(list.contains("20 events/s, burst 50"), "{list}");
    assert!(
        !list.contains(&browser_token) && !list.contains(&server_token),
        "{list}"
    );

    // The bucket holds hashes only.
    let doc = published_keys(data);
    assert!(
        !doc.contains(&browser_token) && !doc.contains(&server_token),
        "{doc}"
    );
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["keys"].as_array().unwrap().len(), 2);

    let out = ok(run(data, &["events", "keys", "revoke", &server_id]));
    assert!(
        out.contains(&format!("revoked write key {server_id}")),
        "{out}"
    );
    let doc: Value = serde_json::from_str(&published_keys(data)).unwrap();
    let revoked = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == server_id.as_str())
        .unwrap();
    assert!(revoked["revoked_at"].is_i64(), "{doc}");

    let again = run(data, &["events", "keys", "revoke", &server_id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("error[write_key_revoked]"));
    let missing = run(data, &["events", "keys", "revoke", "wk_nothere"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("error[write_key_not_found]"));

    let json = ok(run(data, &["events", "keys", "list", "--json"]));
    let keys: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys
        .iter()
        .any(|k| k["id"] == server_id.as_str() && k["revoked_at"].is_i64()));
    assert!(keys.iter().all(|k| k.get("token_sha256").is_none()));

    let out = ok(run(data, &["events", "keys", "publish"]));
    assert!(
        out.contains("published 2 keys to collector/write-keys.json"),
        "{out}"
    );
}

#[test]
fn serve_checks_the_profiles_keys_and_a_revoke_counts_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(run(data, &["demo", "seed"]));
    let server = Server::start(data, &[], "127.0.0.1:0", &["--keys-refresh", "0s"]);
    // No keys: the demo takes anyone.
    let (body, _) = batch(1, "cust-keys");
    assert_eq!(post(server.addr, "/v1/batch", &body).unwrap().status, 200);

    let (id, token) = created(&ok(run(
        data,
        &[
            "events", "keys", "create", "--kind", "server", "--label", "backend",
        ],
    )));
    let answer = post(server.addr, "/v1/batch", &body).unwrap();
    assert_eq!(
        (answer.status, answer.json()["code"].clone()),
        (401, "write_key_missing".into())
    );
    let (mut keyed, _) = batch(2, "cust-keys");
    keyed["writeKey"] = token.clone().into();
    let answer = post(server.addr, "/v1/batch", &keyed).unwrap();
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    assert_eq!(answer.json()["accepted"], 2);

    ok(run(data, &["events", "keys", "revoke", &id]));
    let answer = post(server.addr, "/v1/batch", &keyed).unwrap();
    assert_eq!(
        (answer.status, answer.json()["code"].clone()),
        (403, "write_key_revoked".into())
    );
}
