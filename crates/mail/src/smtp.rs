//! Sending over SMTP with lettre: the settings (the password is a `Sensitive`, read from the
//! keychain by the caller), the [`Mailer`], and a typed [`SendError`] that says plainly
//! whether the server refused (code and text) or could not be reached. No error ever holds
//! the password: server texts are scrubbed of it before they are kept.

use std::time::Duration;

use domain::history::Text;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrets::Sensitive;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Security {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// No encryption: only for a server on this machine (127.0.0.1, ::1, localhost).
    Plain,
}

impl Security {
    /// `tls` / `starttls` / `plain`.
    pub fn code(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
            Security::Plain => "plain",
        }
    }

    /// The security for a code.
    pub fn from_code(code: &str) -> Option<Security> {
        [Security::Tls, Security::StartTls, Security::Plain]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// The shop's SMTP settings.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Server name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Connection protection.
    pub security: Security,
    /// Login name; `None` sends without logging in.
    pub username: Option<String>,
    /// Password (from the keychain).
    pub password: Option<Sensitive<String>>,
    /// The sender address (the shop's).
    pub from_address: String,
    /// The sender's display name (the shop's name).
    pub from_name: Option<String>,
    /// How long to wait for the server.
    pub timeout: Duration,
}

/// A mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Recipient address.
    pub to: String,
    /// Recipient name.
    pub to_name: Option<String>,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Settings PayDesk cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Unencrypted SMTP to another machine would send the password in clear.
    #[error("unencrypted SMTP is only allowed to this machine (127.0.0.1), not to {host}")]
    PlainNotLoopback {
        /// The host asked for.
        host: String,
    },
    /// The sender address is not valid.
    #[error("the sender address {address:?} is not valid")]
    BadSender {
        /// The address.
        address: String,
    },
    /// A password without a login name, or the reverse.
    #[error("give both the login name and the password, or neither")]
    IncompleteCredentials,
    /// TLS could not be set up for the host.
    #[error("TLS setup failed for {host}: {detail}")]
    Tls {
        /// The host.
        host: String,
        /// What failed.
        detail: String,
    },
}

impl ConfigError {
    /// The stable code for the error dictionary.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::PlainNotLoopback { .. } => "smtp_plain_not_loopback",
            ConfigError::BadSender { .. } => "smtp_bad_sender",
            ConfigError::IncompleteCredentials => "smtp_incomplete_credentials",
            ConfigError::Tls { .. } => "smtp_tls_setup",
        }
    }
}

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The recipient address is not valid; nothing was sent.
    #[error("the recipient address {address:?} is not valid")]
    BadRecipient {
        /// The address.
        address: String,
    },
    /// The server answered with an error code.
    #[error("the SMTP server refused the mail: {code} {text}")]
    Refused {
        /// The SMTP reply code (e.g. 550, 535, 421).
        code: u16,
        /// The server's text (scrubbed of the password).
        text: String,
        /// A 5xx code: retrying the same mail will not help.
        permanent: bool,
    },
    /// No connection: the server is down, the name or port is wrong, or a firewall blocks.
    #[error("the SMTP server could not be reached: {detail}")]
    Unreachable {
        /// Why, in words the shop's language has (the system's own text is English).
        reason: Unreachable,
        /// What the system said (English; shown only in the English text and the log).
        detail: String,
    },
    /// The server did not answer in time.
    #[error("the SMTP server did not answer in time")]
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    #[error("the secure connection to the SMTP server failed: {detail}")]
    Tls {
        /// What happened.
        detail: String,
    },
    /// The server's answer made no sense.
    #[error("unexpected answer from the SMTP server: {detail}")]
    Protocol {
        /// What happened.
        detail: String,
    },
}

/// Why a server could not be reached, from the operating system's error kind: the
/// system's own message is English whatever the shop's language, so the Japanese text is
/// built from this instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unreachable {
    /// Nothing listens on that port (the server is down or the port is wrong).
    Refused,
    /// The server name was not found.
    NameNotFound,
    /// No route to the server (offline, firewall).
    NoRoute,
    /// The connection was cut.
    Reset,
    /// Anything else.
    Other,
}

impl Unreachable {
    fn text(self) -> Text {
        match self {
            Unreachable::Refused => Text::new(
                "接続を拒否されました。サーバーが止まっているか、ポート番号が違います",
                "connection refused: the server is down or the port is wrong",
            ),
            Unreachable::NameNotFound => Text::new(
                "サーバー名が見つかりません",
                "the server name was not found",
            ),
            Unreachable::NoRoute => Text::new(
                "サーバーまでの経路がありません。ネットワークやファイアウォールを確認してください",
                "no route to the server: check the network and firewall",
            ),
            Unreachable::Reset => Text::new("接続が途中で切れました", "the connection was cut"),
            Unreachable::Other => Text::new("接続できませんでした", "no connection"),
        }
    }

    fn of(e: &(dyn std::error::Error + 'static)) -> Unreachable {
        use std::io::ErrorKind;
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                return match io.kind() {
                    ErrorKind::ConnectionRefused => Unreachable::Refused,
                    ErrorKind::NotFound => Unreachable::NameNotFound,
                    ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::NetworkDown
                    | ErrorKind::AddrNotAvailable => Unreachable::NoRoute,
                    ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof => Unreachable::Reset,
                    // Name resolution failures carry no kind of their own.
                    _ if io.to_string().contains("failed to lookup address")
                        || io.to_string().contains("Name or service not known") =>
                    {
                        Unreachable::NameNotFound
                    }
                    _ => Unreachable::Other,
                };
            }
            source = s.source();
        }
        Unreachable::Other
    }
}

impl SendError {
    /// The stable code for the error dictionary.
    pub fn code(&self) -> &'static str {
        match self {
            SendError::BadRecipient { .. } => "smtp_bad_recipient",
            SendError::Refused { .. } => "smtp_refused",
            SendError::Unreachable { .. } => "smtp_unreachable",
            SendError::Timeout => "smtp_timeout",
            SendError::Tls { .. } => "smtp_tls",
            SendError::Protocol { .. } => "smtp_protocol",
        }
    }

    /// Whether trying again later may work (the mail stays queued and is retried).
    pub fn retryable(&self) -> bool {
        match self {
            SendError::Refused { permanent, .. } => !permanent,
            SendError::Unreachable { .. } | SendError::Timeout | SendError::Protocol { .. } => true,
            SendError::BadRecipient { .. } | SendError::Tls { .. } => false,
        }
    }

    /// The message for the shop.
    pub fn text(&self) -> Text {
        match self {
            SendError::BadRecipient { address } => Text::new(
                format!("宛先のメールアドレス「{address}」が正しくありません。"),
                format!("The recipient address \"{address}\" is not valid."),
            ),
            SendError::Refused { code, text, .. } => Text::new(
                format!(
                    "メールサーバーが送信を拒否しました。{}（サーバーの応答: {code} {text}）",
                    match code {
                        530 | 534 | 535 | 538 => "ログイン名かパスワードが違います。SMTP設定を確認してください。",
                        550 | 551 | 553 => "宛先か送信元のアドレスを受け付けませんでした。アドレスを確認してください。",
                        552 | 554 => "メールの内容かサイズを受け付けませんでした。",
                        400..=499 => "サーバーが一時的に受け付けていません。あとで自動で再送します。",
                        _ => "SMTP設定と宛先を確認してください。",
                    }
                ),
                format!(
                    "The mail server refused the mail ({code} {text}). Check the SMTP settings and the recipient."
                ),
            ),
            SendError::Unreachable { reason, detail } => {
                let why = reason.text();
                Text::new(
                    format!(
                        "メールサーバーに接続できません（{}）。サーバー名・ポート・ネットワークを確認してください。メールは送信待ちのまま残ります。",
                        why.ja
                    ),
                    format!(
                        "Cannot reach the mail server ({}; {detail}). Check the server name, port and network. The mail stays queued.",
                        why.en
                    ),
                )
            }
            SendError::Timeout => Text::new(
                "メールサーバーから応答がありません。メールは送信待ちのまま残ります。",
                "The mail server did not answer. The mail stays queued.",
            ),
            SendError::Tls { detail } => Text::new(
                "メールサーバーとの暗号化通信に失敗しました（証明書か暗号化方式が合いません）。暗号化方式とポートを確認してください。".to_owned(),
                format!(
                    "The secure connection to the mail server failed ({detail}). Check the security setting and port."
                ),
            ),
            SendError::Protocol { detail } => Text::new(
                "メールサーバーの応答が想定外です。サーバー名・ポート・暗号化方式を確認してください。".to_owned(),
                format!("The mail server's answer made no sense ({detail})."),
            ),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Sends mail through the shop's SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Forms of the password to scrub from server texts.
    scrub: Vec<String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Mailer {
    /// A mailer for the settings (nothing is sent or connected yet).
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, ConfigError> {
        if settings.security == Security::Plain && !is_loopback(&settings.host) {
            return Err(ConfigError::PlainNotLoopback {
                host: settings.host.clone(),
            });
        }
        let address: Address =
            settings
                .from_address
                .parse()
                .map_err(|_| ConfigError::BadSender {
                    address: settings.from_address.clone(),
                })?;
        let from = Mailbox::new(settings.from_name.clone(), address);
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| ConfigError::Tls {
                host: host.to_owned(),
                detail: e.to_string(),
            })
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
                .port(settings.port)
                .timeout(Some(settings.timeout))
                .tls(match settings.security {
                    Security::Tls => Tls::Wrapper(tls(&settings.host)?),
                    Security::StartTls => Tls::Required(tls(&settings.host)?),
                    Security::Plain => Tls::None,
                });
        let mut scrub = Vec::new();
        match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                let secret = password.as_str();
                if !secret.is_empty() {
                    scrub.push(secret.to_owned());
                    scrub.push(base64(format!("\0{user}\0{secret}").as_bytes()));
                    scrub.push(base64(secret.as_bytes()));
                }
                builder = builder.credentials(Credentials::new(user.clone(), secret.to_owned()));
            }
            (None, None) => {}
            _ => return Err(ConfigError::IncompleteCredentials),
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            scrub,
        })
    }

    fn scrubbed(&self, text: String) -> String {
        self.scrub
            .iter()
            .fold(text, |t, secret| t.replace(secret.as_str(), "<redacted>"))
    }

    fn classify(&self, e: &lettre::transport::smtp::Error) -> SendError {
        let detail = |e: &lettre::transport::smtp::Error| {
            let mut parts = Vec::new();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                parts.push(s.to_string());
                source = s.source();
            }
            if parts.is_empty() {
                parts.push(e.to_string());
            }
            self.scrubbed(parts.join(": "))
        };
        if let Some(code) = e.status() {
            let text = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            return SendError::Refused {
                code: code.to_string().parse().unwrap_or(0),
                text: self.scrubbed(text.trim().to_owned()),
                permanent: e.is_permanent(),
            };
        }
        if e.is_timeout() {
            return SendError::Timeout;
        }
        if e.is_tls() {
            return SendError::Tls { detail: detail(e) };
        }
        if e.is_response() || e.is_client() {
            return SendError::Protocol { detail: detail(e) };
        }
        SendError::Unreachable {
            reason: Unreachable::of(e),
            detail: detail(e),
        }
    }

    /// Builds the message: UTF-8 plain text, the subject and names MIME-encoded (what
    /// Japanese mail clients show correctly), a Date and Message-ID.
    pub fn message(&self, mail: &OutgoingMail) -> Result<Message, SendError> {
        let address: Address = mail
            .to
            .trim()
            .parse()
            .map_err(|_| SendError::BadRecipient {
                address: mail.to.clone(),
            })?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(mail.to_name.clone(), address))
            .subject(mail.subject.replace(['\r', '\n'], " "))
            .message_id(None)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.replace("\r\n", "\n").replace('\n', "\r\n"))
            .map_err(|e| SendError::Protocol {
                detail: e.to_string(),
            })
    }

    /// Sends one mail.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = self.message(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| self.classify(&e))
    }

    /// Connects (and logs in, if set) without sending: the settings screen's "test" button.
    pub async fn test_connection(&self) -> Result<(), SendError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Protocol {
                detail: "the server did not answer NOOP".into(),
            }),
            Err(e) => Err(self.classify(&e)),
        }
    }
}
