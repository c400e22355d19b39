//! `stratus customers` and `stratus campaign` as a marketer's script uses
//! them: real processes, temp data dirs, the demo outbox or moto's SNS.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn cmd(data_dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stratus"));
    c.arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("STRATUS_DEMO_OUTBOX", "instant");
    c
}

fn stratus(data_dir: &Path, args: &[&str]) -> Output {
    cmd(data_dir, args).output().unwrap()
}

fn ok(data_dir: &Path, args: &[&str]) -> String {
    let out = stratus(data_dir, args);
    assert!(
        out.status.success(),
        "stratus {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `sent N` from `stratus campaign status`.
fn status_counts(data_dir: &Path, id: &str) -> (String, HashMap<String, u64>) {
    let out = ok(data_dir, &["campaign", "status", id]);
    let state = out.split(':').next().unwrap().trim().to_string();
    let counts_line = out.lines().nth(1).unwrap();
    let words: Vec<&str> = counts_line.split_whitespace().collect();
    let mut counts = HashMap::new();
    for pair in words.chunks(2) {
        if let [name, n] = pair {
            if let Ok(n) = n.parse() {
                counts.insert((*name).to_string(), n);
            }
        }
    }
    (state, counts)
}

/// Polls `check` for up to two minutes: four of these tests run at once,
/// each seeding a demo profile in a debug build, so a loaded machine needs
/// room (one run on a busy machine took over 60 s to see three sends).
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("gave up waiting for: {what}");
}

/// 30 customers `t-01`…`t-30`, each with a phone and consent; line 5 and 9
/// are broken (an invalid phone, a bad time zone).
fn audience_csv(block: &str) -> String {
    let mut csv = String::from("id,name,phone,sms_opt_in,points,level,time_zone\n");
    for i in 1..=32 {
        let line = i + 1;
        match line {
            5 => csv.push_str("t-bad1,Bad Phone,+1 555,yes,1,bronze,UTC\n"),
            9 => csv.push_str("t-bad2,Bad Zone,+12025550100,yes,1,bronze,Mars/Base\n"),
            _ => csv.push_str(&format!(
                "t-{i:02},Person{i} Test,{block}{i:02},yes,{},bronze,UTC\n",
                i * 10
            )),
        }
    }
    csv
}

fn write_audience(dir: &Path, block: &str) -> String {
    let file = dir.join("audience.csv");
    std::fs::write(&file, audience_csv(block)).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn import_reports_every_bad_row_and_all_or_nothing_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_audience(dir.path(), "+120255501");
    let strict = stratus(
        dir.path(),
        &["customers", "import", &file, "--all-or-nothing"],
    );
    assert!(!strict.status.success());
    let err = stderr(&strict);
    assert!(
        err.contains("line 5: ") && err.contains("line 9: "),
        "{err}"
    );
    assert!(err.contains("error[import_rejected]"), "{err}");
    assert_eq!(
        ok(dir.path(), &["customers", "count", "id >= \"t-\""]).trim(),
        "0"
    );

    let lenient = stratus(dir.path(), &["customers", "import", &file]);
    assert_eq!(lenient.status.code(), Some(1), "rows were rejected");
    assert!(stdout(&lenient).contains("30 inserted, 0 updated, 2 rejected"));
    let err = stderr(&lenient);
    assert!(
        err.contains("line 5: ") && err.contains("(customer `t-bad1`)"),
        "{err}"
    );
    assert!(
        err.contains("line 9: ") && err.contains("Mars/Base"),
        "{err}"
    );
    assert_eq!(
        ok(dir.path(), &["customers", "count", "id >= \"t-\""]).trim(),
        "30"
    );
    assert_eq!(
        ok(
            dir.path(),
            &["customers", "count", "id >= \"t-\" and points >= 200"]
        )
        .trim(),
        "13"
    );
    let bad = stratus(dir.path(), &["customers", "count", "points >>= 3"]);
    assert!(
        stderr(&bad).starts_with("error[invalid_segment]"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_campaign_goes_from_draft_to_export_through_the_demo_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_audience(dir.path(), "+120255501");
    stratus(dir.path(), &["customers", "import", &file]);
    let id = ok(
        dir.path(),
        &[
            "campaign",
            "create",
            "--name",
            "Points",
            "--segment",
            "id >= \"t-\"",
            "--template",
            "Hi {{ first_name }}, {{ points }} points",
            "--rate",
            "500",
        ],
    )
    .trim()
    .to_string();
    assert!(ok(dir.path(), &["campaign", "list"]).contains(&id));
    let dry = ok(
        dir.path(),
        &["campaign", "dry-run", &id, "--price-per-part", "0.01"],
    );
    assert!(dry.contains("audience    30 customer(s)"), "{dry}");
    // The demo outbox opts out numbers ending in 99: none here.
    assert!(dry.contains("eligible    30 would get a message"), "{dry}");
    assert!(
        dry.contains("sample to Person1 Test (+12025550101, GSM-7"),
        "{dry}"
    );
    assert!(
        dry.contains("parts       30 (estimated cost 0.30 USD"),
        "{dry}"
    );

    let test = ok(
        dir.path(),
        &[
            "campaign",
            "test-send",
            &id,
            "--to",
            "+1 202 555 0143",
            "--customer",
            "t-03",
        ],
    );
    assert!(
        test.contains("sent to +12025550143") && test.contains("Hi Person3, 30 points"),
        "{test}"
    );
    let refused = stratus(
        dir.path(),
        &["campaign", "test-send", &id, "--to", "555-0143"],
    );
    assert!(
        stderr(&refused).starts_with("error[invalid_address]"),
        "{}",
        stderr(&refused)
    );

    let launch = stratus(dir.path(), &["campaign", "launch", &id]);
    assert!(launch.status.success(), "{}", stderr(&launch));
    assert!(
        stdout(&launch).starts_with("completed: 30 sent, 0 failed, 0 skipped"),
        "{}",
        stdout(&launch)
    );
    let again = stratus(dir.path(), &["campaign", "launch", &id]);
    assert!(
        stderr(&again).starts_with("error[illegal_transition]"),
        "{}",
        stderr(&again)
    );
    // Everyone got it: a retry has nothing to do and the campaign stays done.
    let retry = ok(dir.path(), &["campaign", "retry", &id, "--include-unknown"]);
    assert!(
        retry.starts_with(&format!("nothing to retry: {id} stays completed")),
        "{retry}"
    );
    assert_eq!(status_counts(dir.path(), &id).0, "completed");

    let csv_path = dir.path().join("out.csv");
    ok(
        dir.path(),
        &["campaign", "export", &id, "-o", csv_path.to_str().unwrap()],
    );
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 31, "a header and every recipient");
    assert!(lines[0].starts_with("customer_id,name,address,status"));
    assert!(
        lines[1].starts_with("t-01,Person1 Test,+12025550101,sent,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("\"Hi Person1, 10 points\""),
        "{}",
        lines[1]
    );
    let to_stdout = ok(
        dir.path(),
        &["campaign", "export", &id, "--status", "failed"],
    );
    assert_eq!(
        to_stdout.lines().count(),
        1,
        "only the header: nobody failed"
    );
}

#[test]
fn pause_resume_and_cancel_reach_a_launch_running_in_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_audience(dir.path(), "+120255501");
    stratus(dir.path(), &["customers", "import", &file]);
    let id = ok(
        dir.path(),
        &[
            "campaign",
            "create",
            "--name",
            "Slow",
            "--segment",
            "id >= \"t-\"",
            "--template",
            "Hi {{ first_name }}",
            "--rate",
            "5",
            "--concurrency",
            "1",
        ],
    )
    .trim()
    .to_string();
    let mut launch: Child = cmd(dir.path(), &["campaign", "launch", &id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("a few sends", || {
        // A launch that died says why here, not as a two-minute timeout.
        if let Some(status) = launch.try_wait().unwrap() {
            let mut said = String::new();
            if let Some(mut err) = launch.stderr.take() {
                std::io::Read::read_to_string(&mut err, &mut said).unwrap();
            }
            panic!("the launch exited before three sends: {status:?}\n{said}");
        }
        status_counts(dir.path(), &id)
            .1
            .get("sent")
            .copied()
            .unwrap_or(0)
            >= 3
    });
    let busy = stratus(dir.path(), &["campaign", "launch", &id]);
    assert!(
        stderr(&busy).starts_with("error[campaign_busy]"),
        "{}",
        stderr(&busy)
    );

    ok(dir.path(), &["campaign", "pause", &id]);
    // Once the pause is committed no new send can start (its `in_flight`
    // mark is refused); only the one under way, if any, still settles.
    wait_until("the send under way to settle", || {
        status_counts(dir.path(), &id).1["in_flight"] == 0
    });
    let (state, at_pause) = status_counts(dir.path(), &id);
    assert_eq!(state, "paused");
    std::thread::sleep(Duration::from_millis(1200));
    let (_, later) = status_counts(dir.path(), &id);
    assert_eq!(
        later.get("sent"),
        at_pause.get("sent"),
        "nothing sent while paused"
    );
    assert!(at_pause["sent"] < 30);

    ok(dir.path(), &["campaign", "resume", &id]);
    wait_until("sending again", || {
        status_counts(dir.path(), &id).1["sent"] > at_pause["sent"]
    });
    let cancelled = ok(dir.path(), &["campaign", "cancel", &id]);
    assert!(
        cancelled.starts_with(&format!("cancelled {id}")),
        "{cancelled}"
    );
    let status = launch.wait().unwrap();
    let mut out = String::new();
    launch
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "a cancelled run is not a success: {out}"
    );
    assert!(out.starts_with("cancelled: "), "{out}");
    let (state, counts) = status_counts(dir.path(), &id);
    assert_eq!(state, "cancelled");
    assert_eq!(counts["pending"], 0);
    assert_eq!(counts["sent"] + counts["skipped"] + counts["unknown"], 30);
}

/// A bare HTTP/1.0 request to moto; the response body.
fn http(endpoint: &str, method: &str, path: &str, body: &[u8]) -> String {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    std::io::Write::write_all(&mut stream, head.as_bytes()).unwrap();
    std::io::Write::write_all(&mut stream, body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (status, rest) = response.split_once("\r\n\r\n").unwrap();
    assert!(status.contains(" 200"), "{method} {path}: {status}");
    rest.to_string()
}

/// `(phone_number, message)` of every SMS moto accepted.
fn moto_sms(endpoint: &str) -> Vec<(String, String)> {
    let body = http(endpoint, "GET", "/moto-api/data.json", b"");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["sns"]["SMS"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|m| {
                    (
                        m["phone_number"].as_str().unwrap().to_string(),
                        m["message"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_launch_killed_mid_run_finishes_when_run_again_without_double_sends() {
    let Ok(endpoint) = std::env::var("STRATUS_TEST_AWS_ENDPOINT") else {
        eprintln!("skipped: STRATUS_TEST_AWS_ENDPOINT is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "profile",
            "add",
            "moto",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &endpoint,
            "--path-style",
            "--media-bucket",
            "unused-media",
            "--events-bucket",
            "unused-events",
            "--use",
        ],
    );
    // A number block of our own: moto's state is shared by every test.
    let id_bits = uuid::Uuid::now_v7().as_u128();
    let block = format!(
        "+1415{:03}{:02}",
        200 + (id_bits % 800) as u32,
        (id_bits / 800 % 100) as u32
    );
    let mut csv = String::from("id,name,phone,sms_opt_in,points\n");
    for i in 0..60 {
        csv.push_str(&format!("k-{i:02},Kill{i} Test,{block}{i:02},yes,{i}\n"));
    }
    csv.push_str(&format!("k-no,No Consent,{block}98,no,0\n"));
    // The audience file sits in S3 (moto checks no signatures: plain PUTs do).
    let bucket = format!("audience-{}", uuid::Uuid::now_v7().simple());
    http(&endpoint, "PUT", &format!("/{bucket}"), b"");
    http(
        &endpoint,
        "PUT",
        &format!("/{bucket}/people.csv"),
        csv.as_bytes(),
    );
    let imported = ok(
        dir.path(),
        &["customers", "import", &format!("s3://{bucket}/people.csv")],
    );
    assert!(imported.contains("61 inserted"), "{imported}");
    let id = ok(
        dir.path(),
        &[
            "campaign",
            "create",
            "--name",
            "Crash",
            "--template",
            "Hi {{ first_name }}, {{ points }} points",
            "--rate",
            "25",
            "--concurrency",
            "4",
            "--sms-type",
            "promotional",
        ],
    )
    .trim()
    .to_string();
    let db_path = dir.path().join("profiles/moto/stratus.sqlite");
    let sent_rows = || sent_count(&db_path, &id);

    let mut first = cmd(dir.path(), &["campaign", "launch", &id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the first launch to be mid-run", || sent_rows() >= 15);
    // SIGKILL: no chance to finish anything.
    first.kill().unwrap();
    first.wait().unwrap();
    let (state, at_kill) = status_counts(dir.path(), &id);
    assert!(at_kill["sent"] < 60, "killed mid-run: {at_kill:?}");
    // Recorded as running, but nobody sends it: no ETA from a dead rate.
    assert_eq!(state, "interrupted");
    let dead = ok(dir.path(), &["campaign", "status", &id]);
    assert!(!dead.contains("ETA"), "{dead}");
    assert!(
        dead.contains(&format!("`stratus campaign launch {id}` continues it")),
        "{dead}"
    );

    let second = stratus(dir.path(), &["campaign", "launch", &id]);
    let (state, counts) = status_counts(dir.path(), &id);
    assert_eq!(state, "completed");
    // Sends under way at the kill are unknown: a run that ends with some
    // says so and does not exit 0.
    if counts["unknown"] > 0 {
        assert_eq!(second.status.code(), Some(3), "{}", stderr(&second));
        assert!(
            stderr(&second).contains("NOT EVERYONE GOT IT"),
            "{}",
            stderr(&second)
        );
    } else {
        assert!(second.status.success(), "{}", stderr(&second));
    }
    assert_eq!(counts["pending"], 0);
    assert!(
        counts["unknown"] <= 4,
        "at most the sends under way: {counts:?}"
    );
    assert_eq!(counts["sent"] + counts["unknown"], 60);
    assert_eq!(counts["skipped"], 1, "the customer without consent");
    eprintln!("killed at {at_kill:?}; after the second launch {counts:?}");

    let csv = ok(dir.path(), &["campaign", "export", &id]);
    let mut received: HashMap<String, Vec<String>> = HashMap::new();
    for (number, text) in moto_sms(&endpoint) {
        if number.starts_with(&block) {
            received.entry(number).or_default().push(text);
        }
    }
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    for row in reader.records() {
        let row = row.unwrap();
        let (customer, address, status) = (&row[0], &row[2], &row[3]);
        let got = received.get(address).map_or(0, Vec::len);
        match status {
            "sent" => {
                assert_eq!(got, 1, "{customer} sent: exactly one SMS");
                let i: usize = customer.trim_start_matches("k-").parse().unwrap();
                assert_eq!(received[address][0], format!("Hi Kill{i}, {i} points"));
            }
            "unknown" => assert!(got <= 1, "{customer} unknown: at most one SMS"),
            "skipped" => assert_eq!(got, 0, "{customer} skipped: nothing sent"),
            other => panic!("{customer} ended {other}"),
        }
    }
}

/// Through a proxy that answers every 5th publish with a 500 after moto
/// got it: those recipients are `unknown` (never re-sent), the launch says
/// so loudly and exits 3, and "retry" without unknown has nothing to do.
#[test]
fn a_launch_with_in_doubt_publishes_says_so_and_exits_non_zero() {
    let Ok(endpoint) = std::env::var("STRATUS_TEST_AWS_ENDPOINT") else {
        eprintln!("skipped: STRATUS_TEST_AWS_ENDPOINT is not set");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let proxy = runtime
        .block_on(stratus_faultproxy::FaultProxy::start(&endpoint))
        .unwrap();
    proxy.add_rule(stratus_faultproxy::Rule::every(
        5,
        stratus_faultproxy::Fault::FailAfterForward(500),
        stratus_faultproxy::Match::body_contains("Action=Publish"),
    ));
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "profile",
            "add",
            "moto",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &proxy.url(),
            "--path-style",
            "--media-bucket",
            "unused-media",
            "--events-bucket",
            "unused-events",
            "--use",
        ],
    );
    let id_bits = uuid::Uuid::now_v7().as_u128();
    let block = format!(
        "+1415{:03}{:02}",
        200 + (id_bits % 800) as u32,
        (id_bits / 800 % 100) as u32
    );
    let file = write_audience(dir.path(), &block);
    stratus(dir.path(), &["customers", "import", &file]);
    let id = ok(
        dir.path(),
        &[
            "campaign",
            "create",
            "--name",
            "Doubt",
            "--template",
            "Hi {{ first_name }}",
            "--rate",
            "200",
            "--concurrency",
            "2",
        ],
    )
    .trim()
    .to_string();

    let launch = stratus(dir.path(), &["campaign", "launch", &id]);
    assert_eq!(launch.status.code(), Some(3), "{}", stderr(&launch));
    assert!(
        stdout(&launch).starts_with("completed: 24 sent, 0 failed, 0 skipped, 6 unknown"),
        "{}",
        stdout(&launch)
    );
    assert!(
        stderr(&launch).contains("NOT EVERYONE GOT IT: 0 failed and 6 unknown"),
        "{}",
        stderr(&launch)
    );
    let status = ok(dir.path(), &["campaign", "status", &id]);
    assert!(status.contains("in_doubt: 6"), "{status}");

    let retry = ok(dir.path(), &["campaign", "retry", &id]);
    assert!(
        retry.starts_with(&format!("nothing to retry: {id} stays completed")),
        "{retry}"
    );
    assert_eq!(status_counts(dir.path(), &id).0, "completed");

    let mut received: HashMap<String, usize> = HashMap::new();
    for (number, _) in moto_sms(&endpoint) {
        if number.starts_with(&block) {
            *received.entry(number).or_default() += 1;
        }
    }
    assert_eq!(received.len(), 30, "moto got every publish, faulted or not");
    assert!(
        received.values().all(|n| *n == 1),
        "nobody twice: {received:?}"
    );
    drop(proxy);
}

/// What a closed app (or a killed terminal) leaves: a campaign the database
/// calls running, then paused, that no process sends. The CLI says
/// `interrupted` in the list and in status, as the app does.
#[test]
fn a_run_nobody_drives_reads_interrupted_in_list_and_status() {
    use stratus_campaigns::campaign::{self, CampaignState};
    let dir = tempfile::tempdir().unwrap();
    let id = ok(
        dir.path(),
        &[
            "campaign",
            "create",
            "--name",
            "Left behind",
            "--template",
            "Hi {{ first_name }}",
        ],
    )
    .trim()
    .to_string();
    let db = stratus_core::db::Db::open(&dir.path().join("profiles/demo/stratus.sqlite")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        campaign::launch(&db, &id).await.unwrap();
        campaign::transition(&db, &id, CampaignState::Running)
            .await
            .unwrap();
    });
    let listed = |data: &Path| -> String {
        ok(data, &["campaign", "list"])
            .lines()
            .find(|l| l.starts_with(&id))
            .unwrap()
            .to_string()
    };
    let row = listed(dir.path());
    assert!(row.contains(" interrupted "), "{row}");
    assert_eq!(status_counts(dir.path(), &id).0, "interrupted");

    // Paused with nobody to resume it: still interrupted, and `launch` goes on.
    ok(dir.path(), &["campaign", "pause", &id]);
    let row = listed(dir.path());
    assert!(row.contains(" interrupted "), "{row}");
    let status = ok(dir.path(), &["campaign", "status", &id]);
    assert!(status.starts_with("interrupted:"), "{status}");
    assert!(
        status.contains(&format!("`stratus campaign launch {id}` continues it")),
        "{status}"
    );
}

/// Sent rows, read straight from the profile's database.
fn sent_count(db_path: &Path, id: &str) -> i64 {
    let db = stratus_core::db::Db::open(db_path).unwrap();
    let id = id.to_string();
    db.call_blocking(move |c| -> stratus_core::Result<_> {
        Ok(c.query_row(
            "SELECT count(*) FROM recipients WHERE campaign_id = ?1 AND status = 'sent'",
            [id],
            |r| r.get(0),
        )?)
    })
    .unwrap()
}

#[test]
fn the_level_table_and_campaign_rules_are_set_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_audience(dir.path(), "+120255502");
    stratus(dir.path(), &["customers", "import", &file]);
    // Points 10..320: everyone imported is bronze by the default table
    // (the profile's demo customers have other ids).
    let count = |level: &str| {
        let segment = format!("level = {level} and id >= \"t-\"");
        ok(dir.path(), &["customers", "count", &segment])
    };
    assert_eq!(count("bronze").trim(), "30");
    let table = ok(
        dir.path(),
        &["campaign", "levels", "--set", "rookie=0,pro=200,legend=300"],
    );
    assert!(
        table.contains("pro") && table.contains("from 200 points"),
        "{table}"
    );
    assert!(ok(dir.path(), &["campaign", "levels"]).contains("legend"));
    // 200..290 points are pro: t-20 … t-29.
    assert_eq!(count("pro").trim(), "10");
    let refused = stratus(dir.path(), &["campaign", "levels", "--set", "pro=200"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("start at 0"),
        "{}",
        stderr(&refused)
    );

    let id = ok(
        dir.path(),
        &[
            "campaign",
            "create",
            "--name",
            "Capped",
            "--template",
            "Hi {{ first_name }}, you are {{ level }}",
            "--quiet-hours",
            "21:00-08:00",
            "--in-quiet-hours",
            "skip",
            "--frequency-cap",
            "2/7d",
        ],
    )
    .trim()
    .to_string();
    let shown = ok(dir.path(), &["campaign", "show", &id]);
    assert!(
        shown.contains("21:00–08:00 (recipient's time), then skip"),
        "{shown}"
    );
    assert!(
        shown.contains("at most 2 message(s) per customer within 7 day(s)"),
        "{shown}"
    );
    let bad = stratus(
        dir.path(),
        &[
            "campaign",
            "create",
            "--name",
            "x",
            "--template",
            "x",
            "--frequency-cap",
            "2",
        ],
    );
    assert!(stderr(&bad).contains("e.g. 3/7d"), "{}", stderr(&bad));
}

#[test]
fn behaviour_segments_count_what_demo_customers_did_and_say_how_old_the_cache_is() {
    let dir = tempfile::tempdir().unwrap();
    let ordered = "did \"Order Completed\" within 30d";
    let before = stratus(dir.path(), &["customers", "count", ordered]);
    assert!(before.status.success(), "{}", stderr(&before));
    assert_eq!(stdout(&before).trim(), "0");
    assert!(
        stderr(&before).contains("never synced"),
        "{}",
        stderr(&before)
    );

    ok(dir.path(), &["events", "sync"]);
    let after = stratus(dir.path(), &["customers", "count", ordered]);
    let n: u64 = stdout(&after).trim().parse().unwrap();
    assert!(n > 0, "demo customers ordered");
    assert!(
        stderr(&after).contains("events cache synced "),
        "{}",
        stderr(&after)
    );
    let not_n: u64 = ok(
        dir.path(),
        &["customers", "count", &format!("not {ordered}")],
    )
    .trim()
    .parse()
    .unwrap();
    let everyone: u64 = ok(dir.path(), &["customers", "count", ""])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(n + not_n, everyone);

    let bad = stratus(
        dir.path(),
        &[
            "customers",
            "count",
            "did \"Order Completed\" at least 0 times",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).starts_with("error[invalid_segment]")
            && stderr(&bad).contains("at character 32")
            && stderr(&bad).contains("at least 1"),
        "{}",
        stderr(&bad)
    );
}
