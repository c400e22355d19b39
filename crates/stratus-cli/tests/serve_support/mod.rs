//! A real `stratus serve` process for tests, and a bare HTTP/1.1 client on
//! a TCP socket (so tests can also misbehave: stall, trickle, lie about
//! the body length).

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `stratus --data-dir <data> …` with no AWS configuration from this machine.
pub fn stratus(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stratus"));
    command
        .arg("--data-dir")
        .arg(data)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        );
    command
}

/// A running `stratus serve`.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    stdout: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `stratus [global] serve --addr <addr> [args]`; returns once it listens.
    pub fn start(data: &Path, global: &[&str], addr: &str, args: &[&str]) -> Server {
        Self::start_with(stratus(data), global, addr, args)
    }

    /// As [`Server::start`], with at most `files` open file descriptors
    /// (through the shell's `ulimit`).
    pub fn start_limited(
        data: &Path,
        files: u32,
        global: &[&str],
        addr: &str,
        args: &[&str],
    ) -> Server {
        let inner = stratus(data);
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(inner.get_program())
            .args(inner.get_args());
        for (k, v) in inner.get_envs() {
            if let Some(v) = v {
                command.env(k, v);
            }
        }
        Self::start_with(command, global, addr, args)
    }

    fn start_with(mut command: Command, global: &[&str], addr: &str, args: &[&str]) -> Server {
        let mut child = command
            .args(global)
            .args(["serve", "--addr", addr])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .unwrap_or_else(|| panic!("serve printed nothing: {:?}", child.try_wait()))
            .unwrap();
        let url = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .unwrap_or_else(|| panic!("no URL in `{first}`"));
        let addr: SocketAddr = url.parse().unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stdout);
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut out = sink.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        });
        Server {
            child,
            addr,
            stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `INT`, `KILL`).
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap()
            .success());
    }

    /// Waits for the process to end (a minute at most: a server that
    /// never stops fails the test instead of hanging it).
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until it has printed `text` (a minute at most).
    pub fn wait_for_output(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.stdout().contains(text) {
            assert!(
                Instant::now() < deadline,
                "serve never printed `{text}`: {}",
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything it printed so far (complete once it has exited).
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// A connection with a read timeout (a safety net: a server that never
/// answers fails the test instead of hanging it).
pub fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

/// Reads one answer up to the end of the connection (requests say `Connection: close`).
pub fn read_answer(stream: &mut TcpStream) -> std::io::Result<Answer> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no HTTP answer: {raw:?}")))?;
    let head = String::from_utf8_lossy(&raw[..text_end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let mut body = raw[text_end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// One request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    host: &str,
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut stream = connect(addr)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    read_answer(&mut stream)
}

/// `POST path` with a JSON body to the server's own address.
pub fn post(addr: SocketAddr, path: &str, body: &serde_json::Value) -> std::io::Result<Answer> {
    request(
        addr,
        "POST",
        path,
        &addr.to_string(),
        body.to_string().as_bytes(),
    )
}

/// A batch of `n` fresh native events; returns it with its event ids.
pub fn batch(n: usize, customer: &str) -> (serde_json::Value, Vec<String>) {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let events: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({"event_id": id, "type": "track", "event": "Clicked",
                               "distinct_id": customer, "properties": {"button": "buy"}})
        })
        .collect();
    (serde_json::json!({ "batch": events }), ids)
}

/// Every event id of `customer` in the profile's cache, after a sync.
pub fn synced_ids(
    data: &Path,
    global: &[&str],
    customer: &str,
) -> std::collections::BTreeSet<String> {
    let sync = stratus(data)
        .args(global)
        .args(["events", "sync", "--full"])
        .output()
        .unwrap();
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let export = stratus(data)
        .args(global)
        .args([
            "events",
            "export",
            "--format",
            "ndjson",
            "--customer",
            customer,
        ])
        .output()
        .unwrap();
    assert!(export.status.success());
    String::from_utf8_lossy(&export.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["event_id"].as_str().map(String::from))
        .collect()
}
