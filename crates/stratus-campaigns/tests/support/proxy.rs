//! A recording HTTP proxy in front of moto: moto keeps an SMS's number and
//! text but drops its message attributes (SMS type, sender id), so tests
//! read what the SDK actually sent from the request bodies here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Every request body that passed, in order.
pub struct RecordingProxy {
    pub endpoint: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    /// Forwards to `upstream` (`http://host:port`) on a free loopback port.
    pub fn start(upstream: &str) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, seen) = (upstream.clone(), Arc::clone(&seen));
                std::thread::spawn(move || relay(client, &upstream, &seen));
            }
        });
        RecordingProxy { endpoint, bodies }
    }

    /// Decoded form fields of every `Publish` request.
    pub fn publishes(&self) -> Vec<Vec<(String, String)>> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| {
                form_urlencoded::parse(b.as_bytes())
                    .into_owned()
                    .collect::<Vec<_>>()
            })
            .filter(|fields| fields.iter().any(|(k, v)| k == "Action" && v == "Publish"))
            .collect()
    }
}

/// One request per connection: the proxy asks moto to close after answering,
/// and tells the client the same, so reading to the end is the whole answer.
fn relay(client: TcpStream, upstream: &str, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    seen.lock()
        .unwrap()
        .push(String::from_utf8_lossy(&body).into_owned());
    let mut moto = TcpStream::connect(upstream).unwrap();
    moto.write_all(&head).unwrap();
    moto.write_all(&body).unwrap();
    let mut answer = Vec::new();
    moto.read_to_end(&mut answer).unwrap();
    let mut client = client;
    let _ = client.write_all(&answer);
}
