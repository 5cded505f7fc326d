//! The desktop side of the relay API: catch-up, acknowledgement, status and the SSE stream.
//!
//! Layout: [`DesktopClient`] makes the HTTP calls; [`SseParser`] turns the stream's bytes
//! into messages (the part of the EventSource format the relay emits: `id`, `event`,
//! `data`, comments); [`StreamItem`] is what the desktop consumes. The client does not
//! reconnect by itself: the caller keeps the last seq it processed and calls
//! [`DesktopClient::stream`] again with it, and treats a missing heartbeat (no item for a
//! few heartbeat intervals) as a dead connection.

use std::{collections::VecDeque, fmt};

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
    /// A body the client could not read.
    Decode(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Unauthorized => f.write_str("the relay refused the desktop token"),
            ClientError::Status(code) => write!(f, "the relay answered HTTP {code}"),
            ClientError::Http(e) => write!(f, "relay connection: {e}"),
            ClientError::Decode(e) => write!(f, "unreadable relay answer: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        ClientError::Http(e.without_url())
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
}

impl fmt::Debug for DesktopClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesktopClient")
            .field("base", &self.base)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl DesktopClient {
    /// `base_url` like `https://relay.example.jp` (no trailing path).
    pub fn new(base_url: &str, token: &str) -> DesktopClient {
        Self::with_http(reqwest::Client::new(), base_url, token)
    }

    pub fn with_http(http: reqwest::Client, base_url: &str, token: &str) -> DesktopClient {
        DesktopClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn json<T: serde::de::DeserializeOwned>(
        response: reqwest::Response,
    ) -> Result<T, ClientError> {
        let response = check(response)?;
        let bytes = response.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
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
        Self::json(self.get("/v1/events").query(&query).send().await?).await
    }

    /// Records the desktop's cursor on the relay; returns the stored (never decreasing) one.
    pub async fn ack(&self, cursor: u64) -> Result<u64, ClientError> {
        let response = self
            .http
            .post(format!("{}/v1/ack", self.base))
            .bearer_auth(&self.token)
            .json(&Ack { cursor })
            .send()
            .await?;
        Ok(Self::json::<Ack>(response).await?.cursor)
    }

    pub async fn status(&self) -> Result<ShopStatus, ClientError> {
        Self::json(self.get("/v1/status").send().await?).await
    }

    /// Opens the push stream after `after` (the relay's stored cursor when `None`).
    pub async fn stream(
        &self,
        after: Option<u64>,
    ) -> Result<impl Stream<Item = Result<StreamItem, ClientError>> + Send + use<>, ClientError>
    {
        let mut request = self.get("/v1/stream").header("accept", "text/event-stream");
        if let Some(after) = after {
            request = request.header("last-event-id", after.to_string());
        }
        let response = check(request.send().await?)?;
        let state = (
            response.bytes_stream().boxed(),
            SseParser::default(),
            VecDeque::<Result<StreamItem, ClientError>>::new(),
        );
        Ok(futures_util::stream::unfold(
            state,
            |(mut body, mut parser, mut ready)| async move {
                loop {
                    if let Some(item) = ready.pop_front() {
                        return Some((item, (body, parser, ready)));
                    }
                    match body.next().await? {
                        Ok(chunk) => {
                            for message in parser.push(&chunk) {
                                if let Some(item) = message.into_item() {
                                    ready.push_back(item);
                                }
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

/// Incremental parser of `text/event-stream`.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    current: SseMessage,
    has_data: bool,
}

impl SseParser {
    /// Feeds bytes; returns the messages completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseMessage> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.line_done(&String::from_utf8_lossy(&line), &mut out);
            } else {
                self.line.push(b);
            }
        }
        out
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
}
