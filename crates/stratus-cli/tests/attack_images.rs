//! Attack suite for the image function: the real `stratus serve` on the demo
//! profile, probed over raw HTTP (no client that would tidy the path first)
//! as an anonymous attacker would: traversal (Unix and Windows forms,
//! symbolic links), forged, expired and stretched signatures, and what a
//! server-side failure reveals. The render budget's 503 is proved on the
//! Router with a gated store (`stratus-gateway/tests/image_doors.rs`): a
//! running server cannot be held mid-render without a timing bet.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use stratus_gateway::signature::sign;
use stratus_gateway::SigningKey;

const SECRET: &str = "attack-suite secret of at least thirty-two bytes";
const ORIGINAL: &str = "demo/landscapes/alpine-dawn.jpg";

/// `stratus serve` on the demo profile, on a free port, with one signing key
/// given the recommended way (the environment).
struct Server {
    child: Child,
    addr: String,
    data: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_stratus"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("STRATUS_SIGNING_KEYS", format!("k1:{SECRET}"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .unwrap_or_else(|| panic!("no URL in `{first}`"))
            .to_string();
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr, data }
    }

    /// The demo media bucket's directory.
    fn media_bucket(&self) -> PathBuf {
        let buckets = self.data.path().join("profiles/demo/buckets");
        std::fs::read_dir(&buckets)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.join(ORIGINAL).is_file())
            .unwrap_or_else(|| panic!("no bucket under {} holds {ORIGINAL}", buckets.display()))
    }

    /// One raw HTTP/1.1 GET of `target`, exactly as written.
    fn get(&self, target: &str) -> Answer {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Answer {
            target: target.to_string(),
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Answer {
    target: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "{}: {} with a non-JSON body: {}",
                self.target,
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Status and error code, for one-line assertions.
    fn refusal(&self) -> (u16, String) {
        let code = self.json()["code"].as_str().unwrap_or_default().to_string();
        (self.status, code)
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn key() -> SigningKey {
    SigningKey {
        id: "k1".into(),
        secret: SECRET.as_bytes().to_vec(),
    }
}

fn signed(path: &str, exp: u64) -> String {
    format!("{path}?exp={exp}&sig={}", sign(&key(), path, exp))
}

/// A server whose demo image is served: the doors below are the only refusals.
fn server() -> Server {
    let server = Server::start();
    let ok = server.get(&format!("/img/thumb/{ORIGINAL}"));
    assert_eq!(ok.status, 200, "the demo image is served");
    server
}

#[test]
fn traversal_is_refused_in_unix_and_windows_forms() {
    let server = server();
    for key in [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "demo/../../../../etc/passwd",
        "%2Fetc%2Fpasswd",
        "..%5C..%5Cwindows%5Cwin.ini",
        "C:/Windows/win.ini",
        "C%3A/Users/x/a.jpg",
        "C:x.jpg",
        "demo/landscapes/alpine-dawn.jpg:stream",
        "NUL.jpg",
        "demo/con",
        "COM1.jpg",
        "lpt9",
        ".STRATUS/meta/demo/landscapes/alpine-dawn.jpg.json",
        ".stratus/meta/demo/landscapes/alpine-dawn.jpg.json",
        "demo/landscapes/alpine-dawn.jpg.",
        "variants/demo/landscapes/alpine-dawn.jpg/thumb.jpeg",
    ] {
        let answer = server.get(&format!("/img/thumb/{key}"));
        assert_eq!(
            answer.refusal(),
            (400, "invalid_key".to_string()),
            "{key}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{key}");
    }
}

#[test]
fn symbolic_links_in_the_bucket_are_not_followed() {
    let server = server();
    let bucket = server.media_bucket();
    let outside = server.data.path().join("outside.jpg");
    std::fs::copy(bucket.join(ORIGINAL), &outside).unwrap();
    std::fs::create_dir_all(bucket.join("attack")).unwrap();
    std::os::unix::fs::symlink(&outside, bucket.join("attack/outside.jpg")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", bucket.join("attack/passwd.jpg")).unwrap();
    std::os::unix::fs::symlink(server.data.path(), bucket.join("linked")).unwrap();
    for key in [
        "attack/outside.jpg",
        "attack/passwd.jpg",
        "linked/outside.jpg",
    ] {
        let answer = server.get(&format!("/img/thumb/{key}"));
        assert_eq!(answer.refusal(), (403, "symlink".to_string()), "{key}");
    }
}

#[test]
fn signatures_forged_expired_or_stretched_are_refused() {
    let server = server();
    let path = "/img/300x200-cover-q80.webp/demo/landscapes/alpine-dawn.jpg";
    let exp = now() + 600;
    let good = server.get(&signed(path, exp));
    assert_eq!(good.status, 200, "{}", String::from_utf8_lossy(&good.body));
    assert_eq!(good.header("content-type"), Some("image/webp"));

    let forged_key = SigningKey {
        id: "k1".into(),
        secret: b"a guess that is long enough, 32+ bytes".to_vec(),
    };
    let forged = format!("{path}?exp={exp}&sig={}", sign(&forged_key, path, exp));
    let sig = sign(&key(), path, exp);
    let cases = [
        (forged, "bad_signature"),
        // Signed for another path.
        (
            format!("/img/thumb/demo/landscapes/alpine-dawn.jpg?exp={exp}&sig={sig}"),
            "bad_signature",
        ),
        // Unsigned, a spec that only a signature may ask for.
        (path.to_string(), "spec_not_allowed"),
        (signed(path, now() - 60), "signature_expired"),
        // Other spellings of the signed `exp`.
        (format!("{path}?exp=%2B{exp}&sig={sig}"), "bad_signature"),
        (format!("{path}?exp=0{exp}&sig={sig}"), "bad_signature"),
        // Signed with the real key, but living (nearly) forever.
        (signed(path, u64::MAX), "signature_lifetime_too_long"),
        (
            signed(path, now() + 8 * 24 * 3600),
            "signature_lifetime_too_long",
        ),
    ];
    for (target, code) in cases {
        let answer = server.get(&target);
        assert_eq!(answer.refusal(), (403, code.to_string()), "{target}");
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
}

#[test]
fn signed_answers_are_cached_no_longer_than_they_live() {
    let server = server();
    let path = "/img/card/demo/landscapes/alpine-dawn.jpg";
    let exp = now() + 300;
    for round in ["first", "again"] {
        // The server's clock reads this or later when it answers.
        let asked_at = now();
        let answer = server.get(&signed(path, exp));
        assert_eq!(answer.status, 200, "{round}");
        let cache = answer.header("cache-control").unwrap();
        let max_age: u64 = cache
            .split(',')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(max_age <= exp - asked_at, "{round}: {cache}");
        assert!(!cache.contains("immutable"), "{round}: {cache}");
    }
}

#[test]
fn a_server_side_failure_shows_only_a_request_id() {
    let server = server();
    // The store's scratch folder becomes a file: the next write fails inside.
    let tmp = server.media_bucket().join(".stratus/tmp");
    std::fs::remove_dir_all(&tmp).unwrap();
    std::fs::write(&tmp, "").unwrap();
    let answer = server.get("/img/hero/demo/landscapes/alpine-dawn.jpg");
    assert!((500..600).contains(&answer.status), "{}", answer.status);
    let body = answer.json();
    let text = body.to_string();
    let id = body["request_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no request id in {text}"));
    assert_eq!(answer.header("x-request-id"), Some(id));
    let bucket = server.media_bucket();
    for leak in [
        bucket.to_str().unwrap(),
        ".stratus",
        "os error",
        "Not a directory",
        "variants/",
    ] {
        assert!(!text.contains(leak), "`{leak}` leaked: {text}");
    }
}

/// `serve` with a bad key list stops before serving, says why, and never
/// prints a secret.
fn refused_at_start(args: &[&str], env: Option<&str>, file: Option<&str>) -> String {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_stratus"));
    command
        .arg("--data-dir")
        .arg(data.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("STRATUS_SIGNING_KEYS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(value) = env {
        command.env("STRATUS_SIGNING_KEYS", value);
    }
    if let Some(text) = file {
        let path = data.path().join("keys");
        std::fs::write(&path, text).unwrap();
        command.arg("--signing-keys-file").arg(&path);
    }
    let mut child = command.spawn().unwrap();
    // A server that starts prints its URL first: that is the failure here.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    if !first.is_empty() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("serve started with {args:?} {env:?} {file:?}: {first}");
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn empty_blank_or_short_signing_secrets_stop_serve_at_start() {
    let long = "x".repeat(40);
    let empty = refused_at_start(&["--signing-keys", &format!("k1:{long},k2:")], None, None);
    assert!(empty.contains("`k2` has an empty secret"), "{empty}");
    assert!(!empty.contains(&long), "a secret was printed: {empty}");

    let short = refused_at_start(&[], Some("k1:s3cret"), None);
    assert!(
        short.contains("STRATUS_SIGNING_KEYS") && short.contains("32 bytes"),
        "{short}"
    );

    let blank = refused_at_start(&[], None, Some(&format!(" :{long}\n")));
    assert!(
        blank.contains("--signing-keys-file") && blank.contains("empty id"),
        "{blank}"
    );

    let none = refused_at_start(&["--require-signature"], None, None);
    assert!(
        none.contains("--require-signature needs signing keys"),
        "{none}"
    );
}

#[test]
fn keys_on_the_command_line_are_warned_about() {
    let data = tempfile::tempdir().unwrap();
    let key_list = format!("k1:{}", "y".repeat(40));
    let mut child = Command::new(env!("CARGO_BIN_EXE_stratus"))
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--signing-keys",
            &key_list,
        ])
        .env_remove("STRATUS_SIGNING_KEYS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    assert!(first.contains("http://"), "it still serves: {first}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning: --signing-keys"), "{stderr}");
}

/// `stratus image sign` with the server's keys (the deploy's secret text,
/// newest first) prints a URL the server serves; signed with a key the
/// server does not hold, or tampered with, the same URL is refused.
#[test]
fn urls_from_image_sign_are_served_and_others_are_not() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let sign_with = |secret_text: &str| -> String {
        let keys = dir.path().join("keys.json");
        std::fs::write(&keys, secret_text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_stratus"))
            .arg("--data-dir")
            .arg(server.data.path())
            .args(["image", "sign", "300x200-cover-q80.webp", ORIGINAL])
            .args(["--expires-in", "600", "--keys-file"])
            .arg(&keys)
            .env_remove("STRATUS_SIGNING_KEYS")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let served = sign_with(&format!(
        r#"{{"keys":[{{"id":"k1","secret":"{SECRET}"}},{{"id":"k0","secret":"an older key of at least thirty-two bytes"}}]}}"#
    ));
    assert!(
        served.starts_with("/img/300x200-cover-q80.webp/"),
        "{served}"
    );
    let good = server.get(&served);
    assert_eq!(good.status, 200, "{}", String::from_utf8_lossy(&good.body));
    assert_eq!(good.header("content-type"), Some("image/webp"));

    let unknown = sign_with("k9:a key this server has never been given (32+ bytes)");
    assert_eq!(server.get(&unknown).refusal().1, "bad_signature");
    let tampered = served.replace("q80", "q90");
    assert_eq!(server.get(&tampered).refusal().1, "bad_signature");
}
