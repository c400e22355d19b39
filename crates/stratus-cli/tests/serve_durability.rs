//! "Accepted" means kept: a real `stratus serve` killed with SIGKILL or
//! stopped with SIGTERM in the middle of a stream of clients that retry
//! until they get a 2xx loses no acknowledged event; an outage of the
//! bucket (S3 through a fault proxy) does not stop requests from being
//! taken until the local queue is full, a full queue answers 503 with
//! `Retry-After` without waiting for the body, and everything accepted
//! reaches the bucket once it is back.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod serve_support;
use serve_support::*;

/// Client threads sending batches to whatever address `target` holds, each
/// batch retried until it gets a 2xx; acknowledged ids come out of the channel.
struct Clients {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Clients {
    fn start(
        n: usize,
        target: Arc<Mutex<SocketAddr>>,
        customer: &str,
        acked: mpsc::Sender<Vec<String>>,
    ) -> Clients {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = Arc::clone(&stop);
                let target = Arc::clone(&target);
                let acked = acked.clone();
                let customer = customer.to_string();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let (body, ids) = batch(5, &customer);
                        loop {
                            let addr = *target.lock().unwrap();
                            match post(addr, "/v1/batch", &body) {
                                Ok(a) if a.status == 200 => {
                                    assert_eq!(a.json()["accepted"], 5, "{:?}", a.json());
                                    let _ = acked.send(ids);
                                    break;
                                }
                                // Down, stopping or busy: the same events again.
                                _ if stop.load(Ordering::Relaxed) => return,
                                _ => std::thread::sleep(Duration::from_millis(10)),
                            }
                        }
                    }
                })
            })
            .collect();
        Clients { stop, threads }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
    }
}

/// Takes `n` more acknowledged batches into `into`.
fn take_acks(acked: &mpsc::Receiver<Vec<String>>, n: usize, into: &mut BTreeSet<String>) {
    for _ in 0..n {
        let ids = acked
            .recv_timeout(Duration::from_secs(60))
            .expect("clients stopped getting answers");
        into.extend(ids);
    }
}

#[test]
fn acknowledged_events_survive_sigkill_and_sigterm_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let customer = format!("kill-{}", uuid::Uuid::now_v7().simple());
    let mut first = Server::start(data, &[], "127.0.0.1:0", &["--flush-secs", "60"]);
    let addr = first.addr;
    let target = Arc::new(Mutex::new(addr));
    let (tx, acked) = mpsc::channel();
    let clients = Clients::start(4, Arc::clone(&target), &customer, tx);
    let mut acknowledged = BTreeSet::new();

    // SIGKILL while the clients are sending: nothing runs on the way out.
    take_acks(&acked, 40, &mut acknowledged);
    first.signal("KILL");
    first.wait();

    // Back on the same address; the clients carry on (and retry what was cut).
    let mut second = Server::start(data, &[], &addr.to_string(), &["--flush-secs", "60"]);
    take_acks(&acked, 40, &mut acknowledged);

    // SIGTERM, as `kill`, systemd and containers send it: a clean stop.
    second.signal("TERM");
    let status = second.wait();
    clients.stop();
    // Batches answered while the server was stopping count too.
    acknowledged.extend(acked.try_iter().flatten());
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    let out = second.stdout();
    assert!(
        out.contains("every accepted event is in the bucket"),
        "{out}"
    );

    let cached = synced_ids(data, &[], &customer);
    let lost: Vec<&String> = acknowledged.difference(&cached).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events lost, e.g. {:?}",
        lost.len(),
        acknowledged.len(),
        lost.iter().take(3).collect::<Vec<_>>()
    );
}

#[test]
fn a_second_signal_stops_the_server_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // A client that never finishes its body holds the first stop (long grace).
    let mut server = Server::start(
        data,
        &[],
        "127.0.0.1:0",
        &["--shutdown-grace", "10m", "--body-timeout", "10m"],
    );
    let mut stalled = connect(server.addr).unwrap();
    std::io::Write::write_all(
        &mut stalled,
        format!(
            "POST /v1/batch HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000\r\n\r\n{{\"batch\":",
            server.addr
        )
        .as_bytes(),
    )
    .unwrap();
    // The request is in flight once the server has read its head: a normal
    // request answered after it proves the server is past that point.
    assert_eq!(
        request(server.addr, "GET", "/t.js", &server.addr.to_string(), b"")
            .unwrap()
            .status,
        200
    );
    server.signal("TERM");
    // The first signal is taken: the server waits for the stalled request…
    server.wait_for_output("stopping:");
    // …and a second one ends it at once.
    server.signal("TERM");
    let status = server.wait();
    assert_eq!(status.code(), Some(130), "{status}");
    drop(stalled);
}

/// The S3-compatible test server behind a fault proxy, and a profile
/// `moto` that reaches it through the proxy. `None` without a test server.
struct Outage {
    proxy: stratus_faultproxy::FaultProxy,
    runtime: tokio::runtime::Runtime,
}

fn bucket_behind_proxy(data: &std::path::Path) -> Option<Outage> {
    let endpoint = stratus_core::testing::endpoint()?;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bucket = stratus_core::testing::unique_bucket("outage");
    runtime.block_on(async {
        stratus_core::testing::s3_client(&endpoint)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
    });
    let proxy = runtime
        .block_on(stratus_faultproxy::FaultProxy::start(&endpoint))
        .unwrap();
    let add = stratus(data)
        .args([
            "profile",
            "add",
            "moto",
            "--region",
            "us-east-1",
            "--media-bucket",
            &bucket,
            "--events-bucket",
            &bucket,
            "--endpoint-url",
            &proxy.url(),
            "--path-style",
        ])
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    Some(Outage { proxy, runtime })
}

#[test]
fn an_s3_outage_does_not_stall_requests_and_loses_nothing_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let Some(outage) = bucket_behind_proxy(data) else {
        return;
    };
    // The proxy reopens its port on its runtime.
    let _runtime = outage.runtime.enter();
    let customer = format!("outage-{}", uuid::Uuid::now_v7().simple());
    let global = ["--profile", "moto"];
    let mut server = Server::start(
        data,
        &global,
        "127.0.0.1:0",
        &["--flush-secs", "1", "--spool-max-bytes", "20000"],
    );
    let addr = server.addr;
    let mut acknowledged = BTreeSet::new();
    let send = |acknowledged: &mut BTreeSet<String>| {
        let (body, ids) = batch(5, &customer);
        let answer = post(addr, "/v1/batch", &body).unwrap();
        if answer.status == 200 {
            acknowledged.extend(ids);
        }
        answer
    };
    assert_eq!(send(&mut acknowledged).status, 200);

    // The bucket is unreachable: requests are still taken, into the spool…
    outage.proxy.set_refusing(true).unwrap();
    let mut during = 0;
    let refused = loop {
        let answer = send(&mut acknowledged);
        match answer.status {
            200 => during += 1,
            503 => break answer,
            other => panic!("unexpected {other}: {:?}", answer.json()),
        }
        assert!(during < 1000, "the queue never filled");
    };
    assert!(during > 0, "requests were accepted during the outage");
    // …until the queue is full: 503 with Retry-After…
    assert_eq!(refused.json()["code"], "collector_busy");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1);
    // …answered without waiting for the body.
    let mut stalled = connect(addr).unwrap();
    std::io::Write::write_all(
        &mut stalled,
        format!("POST /v1/batch HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 900\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(read_answer(&mut stalled).unwrap().status, 503);

    // The bucket is back: new requests are taken again once the queue drains.
    outage.proxy.set_refusing(false).unwrap();
    loop {
        let answer = send(&mut acknowledged);
        if answer.status == 200 {
            break;
        }
        assert_eq!(answer.status, 503);
        std::thread::sleep(Duration::from_millis(50));
    }
    server.signal("TERM");
    assert!(server.wait().success());
    assert!(
        server
            .stdout()
            .contains("every accepted event is in the bucket"),
        "{}",
        server.stdout()
    );
    let cached = synced_ids(data, &global, &customer);
    let lost = acknowledged.difference(&cached).count();
    assert_eq!(lost, 0, "of {} acknowledged", acknowledged.len());
}

/// The long version of the kill test, for `bench/events/kill_loop.sh`:
/// `STRATUS_KILL_ROUNDS` restarts (default 30), each after a few hundred
/// acknowledged events, three SIGKILLs to one SIGTERM; prints the figures.
#[test]
#[ignore = "minutes; run by bench/events/kill_loop.sh"]
fn kill_loop() {
    let rounds: usize = std::env::var("STRATUS_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let customer = format!("loop-{}", uuid::Uuid::now_v7().simple());
    let mut server = Server::start(data, &[], "127.0.0.1:0", &[]);
    let addr = server.addr;
    let target = Arc::new(Mutex::new(addr));
    let (tx, acked) = mpsc::channel();
    let clients = Clients::start(8, Arc::clone(&target), &customer, tx);
    let mut acknowledged = BTreeSet::new();
    let (mut kills, mut terms) = (0, 0);
    for round in 0..rounds {
        take_acks(&acked, 20 + (round * 7) % 60, &mut acknowledged);
        if round % 4 == 3 {
            server.signal("TERM");
            assert!(server.wait().success(), "SIGTERM is a clean stop");
            terms += 1;
        } else {
            server.signal("KILL");
            server.wait();
            kills += 1;
        }
        server = Server::start(data, &[], &addr.to_string(), &[]);
    }
    take_acks(&acked, 20, &mut acknowledged);
    server.signal("TERM");
    assert!(server.wait().success());
    clients.stop();
    acknowledged.extend(acked.try_iter().flatten());
    let cached = synced_ids(data, &[], &customer);
    let lost = acknowledged.difference(&cached).count();
    println!(
        "kill loop: {rounds} restarts ({kills} SIGKILL, {terms} SIGTERM), acknowledged: {}, lost: {lost}",
        acknowledged.len()
    );
    assert_eq!(lost, 0);
}
