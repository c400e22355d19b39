//! `stratus serve` as an attacker meets it: slowloris heads and bodies are
//! cut, a huge `Content-Length` is refused before any body, idle
//! connections cannot starve a normal request, a half-open client cannot
//! keep the server from stopping, a foreign `Host` (DNS rebinding) is
//! refused, gzip bombs and deep JSON are refused, and a request of many
//! bad events does not earn a much larger answer. Timeouts are set short
//! by flags; the tests wait for outcomes, never for a time.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

mod serve_support;
use serve_support::*;

/// One seeded demo data dir for the whole file (seeding takes seconds);
/// each test runs its own server on it with its own spool.
fn data_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let seed = stratus(dir.path()).args(["demo", "seed"]).output().unwrap();
        assert!(
            seed.status.success(),
            "{}",
            String::from_utf8_lossy(&seed.stderr)
        );
        dir
    })
    .path()
}

fn server(args: &[&str]) -> (Server, tempfile::TempDir) {
    let spool = tempfile::tempdir().unwrap();
    let mut all = vec!["--spool-dir", spool.path().to_str().unwrap()];
    all.extend(args);
    (Server::start(data_dir(), &[], "127.0.0.1:0", &all), spool)
}

/// True once the server has closed `stream` (EOF or reset), reading and
/// discarding whatever it answered first.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Writes `bytes` one at a time, a pause between each, until the server
/// stops taking them; returns how many it took.
fn trickle(mut stream: TcpStream, bytes: Vec<u8>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        for (sent, byte) in bytes.iter().enumerate() {
            if stream.write_all(&[*byte]).is_err() {
                return sent;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        bytes.len()
    })
}

#[test]
fn slowloris_heads_and_bodies_are_cut() {
    let (server, _spool) = server(&["--header-timeout", "1s", "--body-timeout", "1s"]);
    let host = server.addr.to_string();

    // A head that never ends.
    let head = format!(
        "GET /t.js HTTP/1.1\r\nHost: {host}\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(200)
    );
    let mut stream = connect(server.addr).unwrap();
    let writer = trickle(stream.try_clone().unwrap(), head.clone().into_bytes());
    assert!(closed_by_server(&mut stream), "a trickled head is cut");
    assert!(
        writer.join().unwrap() < head.len(),
        "before it was complete"
    );

    // A body that never ends.
    let body = vec![b' '; 200];
    let mut stream = connect(server.addr).unwrap();
    stream
        .write_all(
            format!("POST /v1/batch HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                .as_bytes(),
        )
        .unwrap();
    let writer = trickle(stream.try_clone().unwrap(), body.clone());
    let answer = read_answer(&mut stream).unwrap();
    assert_eq!(answer.status, 408, "{:?}", answer.json());
    assert!(writer.join().unwrap() < body.len());
}

#[test]
fn a_huge_content_length_is_refused_before_any_body() {
    let (server, _spool) = server(&[]);
    let mut stream = connect(server.addr).unwrap();
    stream
        .write_all(
            format!(
                "POST /v1/batch HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n",
                server.addr
            )
            .as_bytes(),
        )
        .unwrap();
    let answer = read_answer(&mut stream).unwrap();
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["code"], "request_too_large");
}

#[test]
fn idle_connections_do_not_starve_a_normal_request() {
    // Few descriptors, as on a busy host: more idle connections than the
    // process could hold open at once.
    let spool = tempfile::tempdir().unwrap();
    let server = Server::start_limited(
        data_dir(),
        32,
        &[],
        "127.0.0.1:0",
        &[
            "--spool-dir",
            spool.path().to_str().unwrap(),
            "--header-timeout",
            "500ms",
            "--max-connections",
            "8",
        ],
    );
    let idle: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    let answer = request(server.addr, "GET", "/t.js", &server.addr.to_string(), b"").unwrap();
    assert_eq!(answer.status, 200);
    drop(idle);
}

#[test]
fn a_half_open_client_does_not_keep_the_server_from_stopping() {
    let (mut server, _spool) = server(&["--body-timeout", "10m", "--shutdown-grace", "1s"]);
    let mut stalled = connect(server.addr).unwrap();
    stalled
        .write_all(
            format!(
                "POST /v1/batch HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000\r\n\r\n{{\"batch\":",
                server.addr
            )
            .as_bytes(),
        )
        .unwrap();
    // A request answered after it shows the stalled one has been taken in.
    assert_eq!(
        request(server.addr, "GET", "/t.js", &server.addr.to_string(), b"")
            .unwrap()
            .status,
        200
    );
    server.signal("TERM");
    let status = server.wait();
    assert!(status.success(), "{status}");
    drop(stalled);
}

#[test]
fn a_foreign_host_is_refused_on_every_route() {
    let (server, _spool) = server(&[]);
    for path in [
        "/t.js",
        "/demo",
        "/img/thumb/demo/landscapes/alpine-dawn.jpg",
    ] {
        let answer = request(server.addr, "GET", path, "attacker.example:8787", b"").unwrap();
        assert_eq!(answer.status, 421, "{path}");
        assert_eq!(answer.json()["code"], "host_not_allowed");
    }
    let (body, _) = batch(1, "cust-rebind");
    let answer = request(
        server.addr,
        "POST",
        "/v1/batch",
        "rebind.attacker.example",
        body.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(answer.status, 421);
    for host in ["localhost", &server.addr.to_string()] {
        let answer = request(server.addr, "GET", "/t.js", host, b"").unwrap();
        assert_eq!(answer.status, 200, "{host}");
    }
}

#[test]
fn gzip_bombs_and_deep_json_are_refused() {
    let (server, _spool) = server(&[]);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; 64 << 20]).unwrap();
    let bomb = encoder.finish().unwrap();
    let mut stream = connect(server.addr).unwrap();
    stream
        .write_all(
            format!(
                "POST /batch/ HTTP/1.1\r\nHost: {}\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                server.addr,
                bomb.len()
            )
            .as_bytes(),
        )
        .unwrap();
    stream.write_all(&bomb).unwrap();
    assert_eq!(read_answer(&mut stream).unwrap().status, 413);

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let answer = request(
        server.addr,
        "POST",
        "/v1/batch",
        &server.addr.to_string(),
        deep.as_bytes(),
    )
    .unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["code"], "invalid_batch");
}

#[test]
fn many_bad_events_earn_a_collapsed_answer() {
    let (server, _spool) = server(&[]);
    let body = serde_json::json!({ "batch": vec![serde_json::json!({}); 1000] }).to_string();
    let answer = request(
        server.addr,
        "POST",
        "/v1/batch",
        &server.addr.to_string(),
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.len() < body.len(),
        "a {}-byte request earned a {}-byte answer",
        body.len(),
        answer.body.len()
    );
    assert_eq!(answer.json()["rejected"], 1000);
}
