//! The desktop side of the relay API: catch-up, acknowledgement, status and the SSE stream.
//!
//! Layout: [`DesktopClient`] makes the HTTP calls within its [`Limits`]; [`SseParser`]
//! turns the stream's bytes into messages (the part of the EventSource format the relay
//! emits: `id`, `event`, `data`, comments); [`StreamItem`] is what the desktop consumes;
//! [`check_url`] decides which relay URLs may carry the desktop token. The client does not
//! reconnect by itself: the caller keeps the last seq it processed and calls
//! [`DesktopClient::stream`] again with it, and treats a missing heartbeat (no item for a
//! few heartbeat intervals) as a dead connection.
//!
//! The relay is on the public internet, so nothing it sends is trusted to be small or
//! prompt: every call has a connect and a request timeout (the stream: until its head
//! arrives), an answer body and a stream line have a size cap, and the token never goes
//! out over plain HTTP except to this computer (loopback, for the demo and the tests).

use std::{collections::VecDeque, fmt, net::IpAddr, time::Duration};

use futures_util::{Stream, StreamExt};

use crate::dto::{Ack, EventsPage, Heartbeat, RelayEvent, ShopStatus};

#[derive(Debug)]
pub enum ClientError {
    /// The relay refused the token (401).
    Unauthorized,
    /// Any other non-success HTTP status.
    Status(u16),
    /// Connection or protocol failure.
    Http(reqwest::Error),
    /// No answer (or no stream head) within [`Limits::request_timeout`], or no connection
    /// within [`Limits::connect_timeout`].
    Timeout,
    /// A body the client could not read.
    Decode(String),
    /// An answer body or a stream line over its cap in [`Limits`].
    TooLarge(&'static str),
    /// The URL would send the token in clear (plain `http://` to another computer), or is
    /// not an `https://`/`http://` URL at all. Nothing was sent.
    InsecureUrl,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Unauthorized => f.write_str("the relay refused the desktop token"),
            ClientError::Status(code) => write!(f, "the relay answered HTTP {code}"),
            ClientError::Http(e) => write!(f, "relay connection: {e}"),
            ClientError::Timeout => f.write_str("the relay did not answer in time"),
            ClientError::Decode(e) => write!(f, "unreadable relay answer: {e}"),
            ClientError::TooLarge(what) => write!(f, "the relay sent {what} over the size cap"),
            ClientError::InsecureUrl => f.write_str(
                "the relay URL is not https:// (plain http:// is allowed only to this computer)",
            ),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            ClientError::Timeout
        } else {
            ClientError::Http(e.without_url())
        }
    }
}

/// Whether a relay URL may carry the desktop token: `https://` to any host, plain
/// `http://` only to this computer (`localhost`, 127.0.0.0/8, `::1`: the demo and the
/// tests), nothing else.
pub fn check_url(url: &str) -> Result<(), ClientError> {
    let url = reqwest::Url::parse(url.trim()).map_err(|_| ClientError::InsecureUrl)?;
    match url.scheme() {
        "https" if url.host_str().is_some() => Ok(()),
        "http" if url.host_str().is_some_and(is_loopback) => Ok(()),
        _ => Err(ClientError::InsecureUrl),
    }
}

/// `localhost`, 127.0.0.0/8 or `::1` (the URL's host text: IPv6 in brackets).
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// What the desktop allows the relay. PayDesk passes its rules table's values
/// (`domain::RULES.relay_*`); [`Limits::default`] is for tools and the relay's own tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// To open the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// For a whole call (catch-up, ack, status), and for the stream until its head arrives.
    pub request_timeout: Duration,
    /// The longest answer body of one call (an events page, the status).
    pub max_answer_bytes: usize,
    /// The longest line of the stream, and the longest `data` of one message.
    pub max_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
            max_answer_bytes: 32 << 20,
            max_line_bytes: 512 << 10,
        }
    }
}

/// What the stream delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    Event(RelayEvent),
    Heartbeat(Heartbeat),
}

/// A client for one desktop (one token).
#[derive(Clone)]
pub struct DesktopClient {
    http: reqwest::Client,
    base: String,
    token: String,
    limits: Limits,
    /// [`check_url`] refused the base URL: every call fails before sending anything.
    insecure: bool,
}

impl fmt::Debug for DesktopClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesktopClient")
            .field("base", &self.base)
            .field("token", &"<redacted>")
            .field("limits", &self.limits)
            .finish()
    }
}

impl DesktopClient {
    /// `base_url` like `https://relay.example.jp` (no trailing path), with the default
    /// [`Limits`].
    pub fn new(base_url: &str, token: &str) -> DesktopClient {
        Self::with_limits(base_url, token, Limits::default())
    }

    /// [`DesktopClient::new`] with the caller's limits.
    pub fn with_limits(base_url: &str, token: &str, limits: Limits) -> DesktopClient {
        let http = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .build()
            .unwrap_or_default();
        let mut client = Self::with_http(http, base_url, token);
        client.limits = limits;
        client
    }

    /// A client on the caller's HTTP client (its own TLS roots, say). The request timeout
    /// and the size caps of the default [`Limits`] still apply to every call.
    pub fn with_http(http: reqwest::Client, base_url: &str, token: &str) -> DesktopClient {
        DesktopClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            limits: Limits::default(),
            insecure: check_url(base_url).is_err(),
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        if self.insecure {
            return Err(ClientError::InsecureUrl);
        }
        Ok(self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token))
    }

    /// Sends one call and reads its JSON answer, all within the request timeout.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let limits = self.limits;
        let exchange = async move {
            let mut response = check(request.send().await?)?;
            if response
                .content_length()
                .is_some_and(|n| n > limits.max_answer_bytes as u64)
            {
                return Err(ClientError::TooLarge("an answer"));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if body.len() + chunk.len() > limits.max_answer_bytes {
                    return Err(ClientError::TooLarge("an answer"));
                }
                body.extend_from_slice(&chunk);
            }
            serde_json::from_slice(&body).map_err(|e| ClientError::Decode(e.to_string()))
        };
        tokio::time::timeout(limits.request_timeout, exchange)
            .await
            .unwrap_or(Err(ClientError::Timeout))
    }

    /// Events after `after` (the relay's stored cursor when `None`), one page.
    pub async fn catch_up(
        &self,
        after: Option<u64>,
        limit: Option<usize>,
    ) -> Result<EventsPage, ClientError> {
        let mut query = Vec::new();
        if let Some(after) = after {
            query.push(("after", after.to_string()));
        }
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        self.call(
            self.request(reqwest::Method::GET, "/v1/events")?
                .query(&query),
        )
        .await
    }

    /// Records the desktop's cursor on the relay; returns the stored (never decreasing) one.
    pub async fn ack(&self, cursor: u64) -> Result<u64, ClientError> {
        let request = self
            .request(reqwest::Method::POST, "/v1/ack")?
            .json(&Ack { cursor });
        Ok(self.call::<Ack>(request).await?.cursor)
    }

    pub async fn status(&self) -> Result<ShopStatus, ClientError> {
        self.call(self.request(reqwest::Method::GET, "/v1/status")?)
            .await
    }

    /// Opens the push stream after `after` (the relay's stored cursor when `None`). The
    /// head must arrive within the request timeout; after that the caller watches for
    /// heartbeats. A line over [`Limits::max_line_bytes`] ends the stream with an error.
    pub async fn stream(
        &self,
        after: Option<u64>,
    ) -> Result<impl Stream<Item = Result<StreamItem, ClientError>> + Send + use<>, ClientError>
    {
        let mut request = self
            .request(reqwest::Method::GET, "/v1/stream")?
            .header("accept", "text/event-stream");
        if let Some(after) = after {
            request = request.header("last-event-id", after.to_string());
        }
        let response = tokio::time::timeout(self.limits.request_timeout, request.send())
            .await
            .map_err(|_| ClientError::Timeout)??;
        let response = check(response)?;
        let state = (
            Some(response.bytes_stream().boxed()),
            SseParser::with_max_line(self.limits.max_line_bytes),
            VecDeque::<Result<StreamItem, ClientError>>::new(),
        );
        Ok(futures_util::stream::unfold(
            state,
            |(mut body, mut parser, mut ready)| async move {
                loop {
                    if let Some(item) = ready.pop_front() {
                        return Some((item, (body, parser, ready)));
                    }
                    // After an oversized line nothing more is read: the stream is over.
                    match body.as_mut()?.next().await? {
                        Ok(chunk) => {
                            let messages = parser.push(&chunk);
                            ready.extend(messages.into_iter().filter_map(SseMessage::into_item));
                            if parser.overflowed() {
                                body = None;
                                ready.push_back(Err(ClientError::TooLarge("a stream line")));
                            }
                        }
                        Err(e) => ready.push_back(Err(e.into())),
                    }
                }
            },
        ))
    }
}

fn check(response: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    match response.status().as_u16() {
        200..=299 => Ok(response),
        401 => Err(ClientError::Unauthorized),
        code => Err(ClientError::Status(code)),
    }
}

/// One dispatched SSE message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseMessage {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl SseMessage {
    fn into_item(self) -> Option<Result<StreamItem, ClientError>> {
        let decode = |e: serde_json::Error| ClientError::Decode(e.to_string());
        match self.event.as_str() {
            "heartbeat" => Some(
                serde_json::from_str(&self.data)
                    .map(StreamItem::Heartbeat)
                    .map_err(decode),
            ),
            "payment" | "gap" => Some(
                serde_json::from_str(&self.data)
                    .map(StreamItem::Event)
                    .map_err(decode),
            ),
            // Unknown event names are for newer desktops; skip them.
            _ => None,
        }
    }
}

/// Incremental parser of `text/event-stream`, with a cap on a line's length (and on one
/// message's `data`), so a relay cannot make the desktop buffer without end.
#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    current: SseMessage,
    has_data: bool,
    max_line: usize,
    /// A line or a message passed `max_line`: everything after is ignored.
    overflowed: bool,
}

impl Default for SseParser {
    fn default() -> SseParser {
        SseParser::with_max_line(Limits::default().max_line_bytes)
    }
}

impl SseParser {
    /// A parser that refuses lines (and a message's data) longer than `max_line` bytes.
    pub fn with_max_line(max_line: usize) -> SseParser {
        SseParser {
            line: Vec::new(),
            current: SseMessage::default(),
            has_data: false,
            max_line,
            overflowed: false,
        }
    }

    /// Whether a line or a message's data passed the cap; the stream is then unusable
    /// (the messages completed before it were returned).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Feeds bytes; returns the messages completed by them, up to the first line or
    /// message over the cap (see [`SseParser::overflowed`]).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseMessage> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.overflowed {
                break;
            }
            if b == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.line_done(&String::from_utf8_lossy(&line), &mut out);
                if self.current.data.len() > self.max_line {
                    self.overflow();
                }
            } else if self.line.len() >= self.max_line {
                self.overflow();
            } else {
                self.line.push(b);
            }
        }
        out
    }

    fn overflow(&mut self) {
        self.overflowed = true;
        self.line = Vec::new();
        self.current = SseMessage::default();
    }

    fn line_done(&mut self, line: &str, out: &mut Vec<SseMessage>) {
        if line.is_empty() {
            let message = std::mem::take(&mut self.current);
            if std::mem::take(&mut self.has_data) {
                out.push(message);
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "id" => self.current.id = Some(value.to_string()),
            "event" => self.current.event = value.to_string(),
            "data" => {
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_chunks_comments_and_multiline_data() {
        let mut p = SseParser::default();
        assert!(p.push(b": hello\n\nid: 7\nevent: pay").is_empty());
        let out = p.push(b"ment\r\ndata: {\"a\":\ndata: 1}\n\nevent: heartbeat\ndata:x\n\n");
        assert_eq!(
            out,
            vec![
                SseMessage {
                    id: Some("7".into()),
                    event: "payment".into(),
                    data: "{\"a\":\n1}".into()
                },
                SseMessage {
                    id: None,
                    event: "heartbeat".into(),
                    data: "x".into()
                }
            ]
        );
    }

    /// A relay that accepts connections and then says nothing: every call ends with
    /// `Timeout` after the request timeout instead of waiting for ever (issue 16, point 10).
    #[tokio::test]
    async fn every_call_times_out_against_a_relay_that_never_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and keeps every connection open, reading and writing nothing.
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let limits = Limits {
            request_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let client = DesktopClient::with_limits(&format!("http://{addr}"), "token", limits);
        // The test's own bound: far above the request timeout, far below "for ever".
        let bound = Duration::from_secs(10);
        let within = |what: &'static str, r: Result<Result<(), ClientError>, _>| match r {
            Ok(Err(ClientError::Timeout)) => {}
            Ok(other) => panic!("{what}: {other:?}"),
            Err(_) => panic!("{what} was still waiting after {bound:?}"),
        };
        within(
            "catch-up",
            tokio::time::timeout(bound, async { client.catch_up(None, None).await.map(drop) })
                .await,
        );
        within(
            "ack",
            tokio::time::timeout(bound, async { client.ack(1).await.map(drop) }).await,
        );
        within(
            "status",
            tokio::time::timeout(bound, async { client.status().await.map(drop) }).await,
        );
        within(
            "stream",
            tokio::time::timeout(bound, async { client.stream(None).await.map(drop) }).await,
        );
        held.abort();
    }

    /// One endless line (no newline) or one message of endless `data` lines: the parser
    /// stops at the cap instead of buffering it all (issue 16, point 9).
    #[test]
    fn a_line_or_message_over_the_cap_is_refused() {
        let mut p = SseParser::with_max_line(64);
        assert!(p.push(b"event: payment\ndata: ").is_empty());
        assert!(p.push(&[b'x'; 100]).is_empty());
        assert!(p.overflowed());
        // Nothing after it counts.
        assert!(p.push(b"\n\nevent: heartbeat\ndata: x\n\n").is_empty());

        let mut p = SseParser::with_max_line(64);
        let mut many = b"event: payment\n".to_vec();
        for _ in 0..10 {
            many.extend_from_slice(b"data: 0123456789\n");
        }
        assert!(p.push(&many).is_empty());
        assert!(p.overflowed());

        // Exactly at the cap is fine.
        let mut p = SseParser::with_max_line(64);
        let mut line = b"data: ".to_vec();
        line.resize(64, b'y');
        line.extend_from_slice(b"\n\n");
        assert_eq!(p.push(&line).len(), 1);
        assert!(!p.overflowed());
    }

    /// The stream delivers what came before an oversized line, then one error, then ends.
    #[tokio::test]
    async fn the_stream_ends_at_an_oversized_line() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 4096];
            let _ = socket.read(&mut head).await;
            let mut body = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n\
event: heartbeat\ndata: {\"time\":\"2026-01-01T00:00:00Z\"}\n\nevent: payment\ndata: "
                .to_vec();
            body.extend(std::iter::repeat_n(b'x', 4096));
            let _ = socket.write_all(&body).await;
            // Keeps the connection open: only the cap can end the stream.
            let _ = socket.read(&mut head).await;
        });
        let limits = Limits {
            max_line_bytes: 1024,
            ..Limits::default()
        };
        let client = DesktopClient::with_limits(&format!("http://{addr}"), "token", limits);
        let stream = client.stream(None).await.unwrap();
        let items: Vec<_> = tokio::time::timeout(Duration::from_secs(10), stream.collect())
            .await
            .expect("the stream ended at the cap");
        assert!(
            matches!(items[0], Ok(StreamItem::Heartbeat(_))),
            "{items:?}"
        );
        assert!(
            matches!(items[1], Err(ClientError::TooLarge(_))),
            "{items:?}"
        );
        assert_eq!(items.len(), 2);
    }

    /// The token goes out over plain HTTP only to this computer (issue 16, point 11).
    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        for ok in [
            "https://relay.example.jp",
            "https://relay.example.jp:8443/",
            "http://127.0.0.1:8080",
            "http://127.3.4.5",
            "http://[::1]:9000",
            "http://localhost:7000",
            "http://LOCALHOST",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://relay.example.jp",
            "http://192.168.1.10:8080",
            "http://127.0.0.1.example.jp",
            "http://localhost.example.jp",
            "http://[::2]",
            "ftp://relay.example.jp",
            "relay.example.jp",
            "",
        ] {
            assert!(check_url(refused).is_err(), "{refused}");
        }
    }

    /// A client on a refused URL sends nothing at all.
    #[tokio::test]
    async fn a_client_on_a_plain_http_url_sends_nothing() {
        let client = DesktopClient::new("http://relay.example.jp", "token");
        assert!(matches!(
            client.status().await,
            Err(ClientError::InsecureUrl)
        ));
        assert!(matches!(client.ack(1).await, Err(ClientError::InsecureUrl)));
        assert!(matches!(
            client.catch_up(None, None).await,
            Err(ClientError::InsecureUrl)
        ));
        assert!(matches!(
            client.stream(None).await.map(drop),
            Err(ClientError::InsecureUrl)
        ));
    }
}
