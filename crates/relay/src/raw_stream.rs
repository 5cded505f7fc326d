//! A lean path for `GET /v1/stream` on plain connections.
//!
//! An idle SSE stream served through hyper keeps hyper's two 8 KiB connection buffers for
//! its whole life (about 17 KiB per stream in all); with 10,000 desktops that alone is
//! 170 MB. On plain TCP (the relay behind a reverse proxy, or loopback) the accept loop
//! peeks at the first bytes; a request starting with `GET /v1/stream` is read here with
//! `httparse`, authenticated like every other desktop request, and answered with a chunked
//! `text/event-stream` written straight to the socket; the request buffer is freed before
//! the stream starts. Every other request, and every TLS connection, goes through axum,
//! which serves `/v1/stream` too, with the same [`Feed`].
//!
//! It has the same limits as the hyper path: the connection was admitted by the same gate
//! (caps per IP and in all, evictable until the token checks out), the head must arrive
//! within `head_timeout` and fit in `max_head_bytes`, and the attack tests run against both.

use std::net::SocketAddr;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    gate::Slot,
    server::{AuthFailure, Feed, Relay, stream_cursor},
};

/// The request line prefix this path takes.
pub(crate) const PREFIX: &[u8] = b"GET /v1/stream";

struct Head {
    authorization: Option<String>,
    last_event_id: Option<String>,
    after: Option<u64>,
}

async fn read_head(tcp: &mut TcpStream, max_head: usize) -> Option<Head> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let mut chunk = [0u8; 1024];
        let n = tcp.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                let path = request.path?;
                let (route, query) = path.split_once('?').unwrap_or((path, ""));
                if request.method != Some("GET") || route != "/v1/stream" {
                    return None;
                }
                let after = query
                    .split('&')
                    .filter_map(|pair| pair.strip_prefix("after="))
                    .find_map(|v| v.parse().ok());
                let header = |name: &str| {
                    request
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .and_then(|h| std::str::from_utf8(h.value).ok())
                        .map(str::to_string)
                };
                return Some(Head {
                    authorization: header("authorization"),
                    last_event_id: header("last-event-id"),
                    after,
                });
            }
            Ok(httparse::Status::Partial) if buf.len() < max_head => {}
            _ => return None,
        }
    }
}

const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
const UNAUTHORIZED: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
const UNAVAILABLE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
const OK_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nx-accel-buffering: no\r\ntransfer-encoding: chunked\r\n\r\n";

/// Serves one plain connection whose first bytes are [`PREFIX`].
pub(crate) async fn serve_stream(relay: Relay, mut tcp: TcpStream, peer: SocketAddr, slot: Slot) {
    let limits = &relay.config().limits;
    let reading = tokio::time::timeout(
        limits.head_timeout,
        read_head(&mut tcp, limits.max_head_bytes),
    );
    let mut closing = relay.closing();
    let head = tokio::select! {
        head = reading => head,
        // The gate closed this connection to make room for a newer one.
        () = slot.evicted() => return,
        _ = closing.wait_for(|c| *c) => return,
    };
    let head = match head {
        Ok(Some(head)) => head,
        _ => {
            let _ = tcp.write_all(BAD_REQUEST).await;
            return;
        }
    };
    let desktop = match relay.authenticate(head.authorization.as_deref()).await {
        Ok(desktop) => {
            slot.authenticated();
            desktop
        }
        Err(AuthFailure::Unauthorized) => {
            let _ = tcp.write_all(UNAUTHORIZED).await;
            return;
        }
        Err(AuthFailure::Unavailable) => {
            let _ = tcp.write_all(UNAVAILABLE).await;
            return;
        }
    };
    let cursor = stream_cursor(head.last_event_id.as_deref(), head.after, desktop.cursor);
    tracing::debug!(desktop_id = desktop.id, %peer, cursor, "stream opened");
    let mut feed = Feed::new(&relay, &desktop, cursor);
    if tcp.write_all(OK_HEAD).await.is_err() {
        return;
    }
    loop {
        let item = tokio::select! {
            item = feed.next() => item,
            // The desktop hung up (or sent something, which a stream does not expect).
            _ = tcp.readable() => {
                let mut probe = [0u8; 64];
                match tcp.try_read(&mut probe) {
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    _ => return,
                }
            }
        };
        let Some(item) = item else {
            // Shutdown: end the chunked body properly.
            let _ = tcp.write_all(b"0\r\n\r\n").await;
            return;
        };
        let text = item.sse_text();
        let chunk = format!("{:x}\r\n{text}\r\n", text.len());
        if tcp.write_all(chunk.as_bytes()).await.is_err() {
            return;
        }
    }
}
