//! The simulator's control API, from the tests: JSON over plain HTTP on 127.0.0.1.
//!
//! A few lines of HTTP/1.1 over a `TcpStream` (one request per connection, `Connection:
//! close`): the app package has no HTTP client among its dev-dependencies, and the control
//! API only ever answers small JSON bodies on loopback.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Control {
    /// `host:port` of the control listener.
    authority: String,
}

impl Control {
    /// `base` as the app reports it, e.g. `http://127.0.0.1:40123`.
    pub fn new(base: &str) -> Control {
        let authority = base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        assert!(
            authority.starts_with("127.0.0.1:") || authority.starts_with("localhost:"),
            "the control API must be on loopback: {base}"
        );
        Control { authority }
    }

    pub async fn get(&self, path: &str) -> Value {
        self.request("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.request("POST", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Value {
        self.request("DELETE", path, None).await
    }

    async fn request(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(&self.authority)
            .await
            .unwrap_or_else(|e| panic!("control API at {}: {e}", self.authority));
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.authority,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8(raw).expect("control API answers UTF-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        };
        assert!(
            (200..300).contains(&status),
            "{method} {path} → {status}: {body}"
        );
        if body.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {body}"))
        }
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let Some((size, rest)) = body.split_once("\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
}
