//! A tiny SMTP server on 127.0.0.1 for tests (this crate's and the API's), compiled only
//! with the `test-server` feature.
//!
//! Layout: [`TestSmtp::start`] binds 127.0.0.1:0 and speaks enough ESMTP for lettre (EHLO,
//! AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT); its [`Mode`] can refuse recipients or
//! check a password; every accepted message reaches the test as a [`Received`] through a
//! channel.

use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How the server behaves.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Accept everything.
    Accept,
    /// Refuse every recipient with this code and text.
    RefuseRecipient(u16, &'static str),
    /// Require AUTH PLAIN with this login and password.
    RequireAuth(&'static str, &'static str),
}

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// MAIL FROM.
    pub mail_from: String,
    /// RCPT TO.
    pub rcpt_to: Vec<String>,
    /// The message as sent (dot-unstuffed).
    pub data: Vec<u8>,
    /// The login used, if any.
    pub login: Option<String>,
}

/// A running server.
pub struct TestSmtp {
    /// Where it listens.
    pub addr: SocketAddr,
    received: mpsc::UnboundedReceiver<Received>,
}

impl TestSmtp {
    /// Binds 127.0.0.1:0 and serves until the test ends.
    pub async fn start(mode: Mode) -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let (tx, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                let mode = mode.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, mode, tx).await;
                });
            }
        });
        TestSmtp { addr, received }
    }

    /// The next accepted message.
    pub async fn next(&mut self) -> Received {
        self.received
            .recv()
            .await
            .unwrap_or_else(|| panic!("server stopped"))
    }

    /// Whether nothing arrived (nothing is pending in the channel).
    pub fn nothing_arrived(&mut self) -> bool {
        self.received.try_recv().is_err()
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let digits: Vec<u32> = s.bytes().filter_map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | d << (18 - 6 * i));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

async fn serve(
    stream: TcpStream,
    mode: Mode,
    tx: mpsc::UnboundedSender<Received>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 paydesk-test ESMTP\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut login = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(
                    b"250-paydesk-test\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                )
                .await?;
        } else if upper.starts_with("AUTH PLAIN") {
            let mut payload = command.get(11..).unwrap_or("").trim().to_owned();
            if payload.is_empty() {
                write.write_all(b"334 \r\n").await?;
                line.clear();
                lines.read_line(&mut line).await?;
                payload = line.trim().to_owned();
            }
            let decoded = String::from_utf8_lossy(&decode_base64(&payload)).into_owned();
            let mut parts = decoded.split('\0').skip(1);
            let (user, pass) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let ok = match &mode {
                Mode::RequireAuth(u, p) => user == *u && pass == *p,
                _ => true,
            };
            if ok {
                login = Some(user.to_owned());
                write
                    .write_all(b"235 2.7.0 Authentication successful\r\n")
                    .await?;
            } else {
                write
                    .write_all(b"535 5.7.8 Authentication credentials invalid\r\n")
                    .await?;
            }
        } else if upper.starts_with("MAIL FROM:") {
            if matches!(mode, Mode::RequireAuth(..)) && login.is_none() {
                write
                    .write_all(b"530 5.7.0 Authentication required\r\n")
                    .await?;
                continue;
            }
            mail_from = command[10..].trim().to_owned();
            rcpt_to.clear();
            write.write_all(b"250 2.1.0 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            if let Mode::RefuseRecipient(code, text) = &mode {
                write
                    .write_all(format!("{code} {text}\r\n").as_bytes())
                    .await?;
            } else {
                rcpt_to.push(command[8..].trim().to_owned());
                write.write_all(b"250 2.1.5 OK\r\n").await?;
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = Vec::new();
            loop {
                let mut raw = Vec::new();
                if lines.read_until(b'\n', &mut raw).await? == 0 {
                    return Ok(());
                }
                if raw == b".\r\n" {
                    break;
                }
                let unstuffed = if raw.starts_with(b"..") {
                    &raw[1..]
                } else {
                    &raw[..]
                };
                data.extend_from_slice(unstuffed);
            }
            let _ = tx.send(Received {
                mail_from: mail_from.clone(),
                rcpt_to: rcpt_to.clone(),
                data,
                login: login.clone(),
            });
            write.write_all(b"250 2.0.0 Queued\r\n").await?;
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 2.0.0 OK\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            write
                .write_all(b"502 5.5.2 Command not recognized\r\n")
                .await?;
        }
    }
}
