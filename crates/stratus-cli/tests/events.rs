//! `stratus events` as an admin uses it: gen → sync → query → export on the
//! demo profile, and a real tracking SDK (PostHog's Python client) sending
//! to `stratus serve`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::{number_before, ok, stratus};

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn gen_sync_query_and_export_agree_on_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // The demo seed's own traffic is synced first, so the counts below are
    // only the generated events.
    ok(stratus(data, &["events", "sync"]));
    let gen = ok(stratus(
        data,
        &[
            "events",
            "gen",
            "--events",
            "3000",
            "--customers",
            "7",
            "--days",
            "2",
            "--batch-events",
            "500",
            "--seed",
            "7",
            "--end",
            "2026-11-20",
        ],
    ));
    let generated = number_before(&gen, "events in");
    assert!(generated >= 3000, "{gen}");

    // Generated days before the demo traffic: behind the watermark, so a
    // full listing finds them.
    let first = ok(stratus(data, &["events", "sync", "--full"]));
    assert_eq!(number_before(&first, "new events"), generated, "{first}");
    assert_eq!(number_before(&first, "duplicates"), 0, "{first}");
    let again = ok(stratus(data, &["events", "sync"]));
    assert_eq!(number_before(&again, "new events"), 0, "{again}");
    assert_eq!(number_before(&again, "objects ("), 0, "{again}");

    // Page through one customer's timeline with the cursor: every event once,
    // newest first, and the same set as the export with the same filter.
    let filter = ["--customer", "cust-00003", "--until", "2026-11-20"];
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["events", "query", "--json", "-n", "100"];
        args.extend(filter);
        if let Some(cursor) = &after {
            args.extend(["--after", cursor.as_str()]);
        }
        let out = stratus(data, &args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let page = json_lines(&ok(out));
        // The customer's person: their events, and their phone's anonymous
        // ones before they signed in (joined by the identify).
        for e in &page {
            assert!(
                e["distinct_id"] == "cust-00003" || e["anonymous_id"] == "phone-00003",
                "{e}"
            );
        }
        seen.extend(page);
        after = stderr
            .lines()
            .find_map(|l| l.strip_prefix("more: --after "))
            .map(|c| c.trim().to_string());
        if after.is_none() {
            break;
        }
    }
    assert!(seen.len() > 100, "several pages: {}", seen.len());
    let times: Vec<&str> = seen.iter().map(|e| e["ts"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let ids: BTreeSet<&str> = seen
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), seen.len(), "no event twice across pages");

    let file = data.join("cust-00003.ndjson");
    let mut args = vec!["events", "export", "--format", "ndjson", "-o"];
    args.push(file.to_str().unwrap());
    args.extend(filter);
    ok(stratus(data, &args));
    let exported = json_lines(&std::fs::read_to_string(&file).unwrap());
    let exported_ids: BTreeSet<&str> = exported
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(exported_ids, ids);

    // Name + text filters narrow; CSV has a header and one row per event.
    let csv = ok(stratus(
        data,
        &[
            "events",
            "export",
            "--format",
            "csv",
            "-e",
            "Order Completed",
            "--customer",
            "cust-00003",
            "--until",
            "2026-11-20",
        ],
    ));
    let orders = seen
        .iter()
        .filter(|e| e["event"] == "Order Completed")
        .count();
    assert!(orders > 0);
    assert_eq!(csv.lines().count(), orders + 1, "{csv}");
    assert!(csv.starts_with("ts,event,type,distinct_id"));
    let searched = json_lines(&ok(stratus(
        data,
        &[
            "events",
            "query",
            "--json",
            "-s",
            "Rain Shell",
            "--customer",
            "cust-00003",
            "-n",
            "1000",
            "--until",
            "2026-11-20",
        ],
    )));
    assert!(!searched.is_empty());
    assert!(searched
        .iter()
        .all(|e| e.to_string().contains("Rain Shell")));

    let table = ok(stratus(data, &["events", "query", "-n", "3"]));
    assert!(table.starts_with("TIME (UTC)"), "{table}");
    assert_eq!(table.lines().count(), 4, "{table}");
}

#[test]
fn bad_filters_are_refused_with_a_message_and_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = stratus(dir.path(), &["events", "query", "--since", "last tuesday"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a time"), "{err}");
    let out = stratus(dir.path(), &["events", "query", "--after", "page-2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[invalid_cursor]"), "{err}");
}

/// The Python of the test venv (`scripts/setup.sh` installs it with the SDK).
fn venv_python() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    cache.join("stratus/venv/bin/python")
}

/// `stratus serve` on a free port; stopped with SIGINT (a clean stop) by the test.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stratus"))
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--addr", "127.0.0.1:0", "--flush-secs", "60"])
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in `{first}`"))
            .to_string();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, url }
    }

    /// SIGINT, as Ctrl-C: the server writes what it buffered and exits.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "serve exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python when PostHog's SDK is installed in it; `None` (the
/// test skips) when not, unless services are required.
fn posthog_python() -> Option<PathBuf> {
    let python = venv_python();
    let has_sdk = Command::new(&python)
        .args(["-c", "import posthog"])
        .status()
        .is_ok_and(|s| s.success());
    if has_sdk {
        return Some(python);
    }
    assert_ne!(
        std::env::var("STRATUS_REQUIRE_SERVICES").as_deref(),
        Ok("1"),
        "PostHog's Python SDK is missing from {} but STRATUS_REQUIRE_SERVICES=1: run scripts/setup.sh",
        python.display()
    );
    eprintln!("skipped: PostHog's Python SDK is not installed (scripts/setup.sh installs it)");
    None
}

/// A server write key in the profile: with it the collector takes only
/// keyed senders, and the SDK sends the token as its project API key.
fn create_server_key(data: &Path) -> String {
    let created = ok(stratus(
        data,
        &[
            "events",
            "keys",
            "create",
            "--kind",
            "server",
            "--label",
            "python sdk",
        ],
    ));
    created
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once, store it now): "))
        .unwrap()
        .trim()
        .to_string()
}

/// Runs PostHog's SDK script `posthog_identity.py` against a fresh profile
/// in `data` and syncs; the story's event ids, oldest first.
fn send_identity_story(
    data: &Path,
    python: &Path,
    user: &str,
    base: i64,
    order: &str,
) -> Vec<String> {
    let token = create_server_key(data);
    let server = Server::start(data);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/posthog_identity.py");
    let sent = ok(Command::new(python)
        .arg(&script)
        .args([&server.url, user, &token, &base.to_string(), order])
        .output()
        .unwrap());
    server.stop();
    let synced = ok(stratus(data, &["events", "sync"]));
    assert_eq!(number_before(&synced, "bad lines"), 0, "{synced}");
    sent.lines().map(String::from).collect()
}

#[test]
fn a_posthog_sdk_shoppers_anonymous_events_join_their_timeline_in_any_order() {
    let Some(python) = posthog_python() else {
        return;
    };
    let user = format!("user-{}", uuid::Uuid::now_v7().simple());
    let base = chrono::Utc::now().timestamp() - 3600;
    let mut cards = Vec::new();
    for order in ["forward", "reverse"] {
        let dir = tempfile::tempdir().unwrap();
        let story = send_identity_story(dir.path(), &python, &user, base, order);
        assert_eq!(story.len(), 7);
        // The whole story, oldest first, by the user id and by either
        // device's anonymous id.
        for id in [
            user.clone(),
            format!("{user}-laptop-anon"),
            format!("{user}-phone-anon"),
        ] {
            let found = json_lines(&ok(stratus(
                dir.path(),
                &["events", "query", "--json", "--customer", &id],
            )));
            let mut got: Vec<String> = found
                .iter()
                .map(|e| e["event_id"].as_str().unwrap().to_string())
                .collect();
            got.reverse();
            assert_eq!(got, story, "timeline of {id}, sent {order}");
        }
        let card: Value = serde_json::from_str(&ok(stratus(
            dir.path(),
            &["events", "person", "--json", &format!("{user}-phone-anon")],
        )))
        .unwrap();
        assert_eq!(card["person"]["person"], user.as_str());
        let kinds: Vec<&str> = card["person"]["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["identify", "alias"], "{card}");
        let text = ok(stratus(dir.path(), &["events", "person", &user]));
        assert!(text.contains("linked by identify on"), "{text}");
        // The graph, without times (the collector corrects each event's
        // time by its request's send delay, which differs run to run).
        let person = &card["person"];
        let links: Vec<_> = person["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["kind"].clone(),
                    l["id"].clone(),
                    l["other"].clone(),
                    l["event_id"].clone(),
                )
            })
            .collect();
        cards.push((person["person"].clone(), person["ids"].clone(), links));
    }
    assert_eq!(
        cards[0], cards[1],
        "the same graph whatever order the batches came in"
    );
}

#[test]
fn events_sent_by_posthogs_python_sdk_are_synced_and_found() {
    let Some(python) = posthog_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let token = create_server_key(data);
    let server = Server::start(data);
    let customer = format!("sdk-{}", uuid::Uuid::now_v7().simple());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/posthog_client.py");
    let sent = Command::new(&python)
        .arg(&script)
        .args([&server.url, &customer, &token])
        .output()
        .unwrap();
    let sent = ok(sent);
    let sent: BTreeSet<(String, String)> = sent
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(id, name)| (id.to_string(), name.to_string()))
        .collect();
    assert_eq!(sent.len(), 4);
    server.stop();

    let synced = ok(stratus(data, &["events", "sync"]));
    assert_eq!(number_before(&synced, "bad lines"), 0, "{synced}");
    let found = json_lines(&ok(stratus(
        data,
        &["events", "query", "--json", "--customer", &customer],
    )));
    let got: BTreeSet<(String, String)> = found
        .iter()
        .map(|e| {
            (
                e["event_id"].as_str().unwrap().to_string(),
                e["event"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, sent, "exactly the events the SDK sent");
    let order = found
        .iter()
        .find(|e| e["event"] == "Order Completed")
        .unwrap();
    assert_eq!(order["properties"]["order_id"], "ord-python-1");
    assert_eq!(order["properties"]["revenue"], 42.5);
    let page = found.iter().find(|e| e["event"] == "$pageview").unwrap();
    assert_eq!(page["type"], "page");
    assert_eq!(page["url"], "https://shop.example.com/pricing");
    // Found by the other filters too.
    let by_prop = json_lines(&ok(stratus(
        data,
        &[
            "events",
            "query",
            "--json",
            "--customer",
            &customer,
            "-p",
            "plan=pro",
        ],
    )));
    assert_eq!(by_prop.len(), 1);
    assert_eq!(by_prop[0]["event"], "Signed Up");
}

/// `events gen` writes batches keyed over past days, behind the watermark of
/// a cache that was synced before: the next incremental sync still picks up
/// every generated object, and `events status` says nothing is behind.
#[test]
fn gen_after_a_sync_is_picked_up_whole_by_the_next_incremental_sync() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(stratus(data, &["events", "sync"]));
    let before = ok(stratus(data, &["events", "status"]));
    let cached = |status: &str| number_before(status, "events from");
    let had = cached(&before);
    let made = ok(stratus(
        data,
        &[
            "events",
            "gen",
            "--events",
            "3000",
            "--days",
            "20",
            "--batch-events",
            "100",
            "--seed",
            "7",
        ],
    ));
    let generated = number_before(&made, "events in");
    ok(stratus(data, &["events", "sync"]));
    let after = ok(stratus(data, &["events", "status"]));
    assert_eq!(cached(&after), had + generated, "{after}");
    assert!(after.contains("objects behind: 0"), "{after}");
    assert!(
        after.contains("future keys (more than 15 min ahead; never the watermark): 0"),
        "{after}"
    );
}

/// `stratus events sync` keeps the cache to the profile's retention, as the
/// app's sync does: past the limit the oldest events go, and it says how
/// many.
#[test]
fn sync_prunes_the_cache_to_the_profiles_retention_and_says_how_many() {
    use stratus_events::sync::retention::{save_retention, Retention};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let made = ok(stratus(
        data,
        &[
            "events",
            "gen",
            "--events",
            "2500",
            "--days",
            "3",
            "--batch-events",
            "500",
            "--seed",
            "11",
        ],
    ));
    assert!(number_before(&made, "events in") >= 2500, "{made}");
    let keep = Retention {
        max_age_days: None,
        max_events: Some(1_000),
    };
    save_retention(&data.join("profiles/demo"), keep).unwrap();

    let synced = ok(stratus(data, &["events", "sync", "--full"]));
    let inserted = number_before(&synced, "new events");
    assert!(inserted > 1_000, "{synced}");
    assert_eq!(
        number_before(&synced, "older events pruned by the retention"),
        inserted - 1_000,
        "{synced}"
    );
    let status = ok(stratus(data, &["events", "status"]));
    assert_eq!(number_before(&status, "events from"), 1_000, "{status}");

    // Nothing new, nothing past the limit: nothing pruned, nothing said.
    let again = ok(stratus(data, &["events", "sync"]));
    assert!(!again.contains("pruned"), "{again}");
}
