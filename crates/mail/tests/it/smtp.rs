//! SMTP over loopback: what arrives (headers and UTF-8 body, MIME-encoded Japanese), login,
//! a refusing server (5xx), a server that is down, and that no error shows the password.

use std::time::Duration;

use domain::subscription::ReminderKind;
use mail::testing::{Mode, TestSmtp};
use mail::{
    ConfigError, Language, Mailer, OutgoingMail, Security, SendError, SmtpSettings, Template,
};
use mail_parser::MessageParser;
use secrets::Sensitive;

use crate::templates::values;

const PASSWORD: &str = "s3cret-Pa55";

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: None,
        password: None,
        from_address: "shop@example.jp".into(),
        from_name: Some("クッキー工房".into()),
        timeout: Duration::from_secs(10),
    }
}

fn mailer(s: &SmtpSettings) -> Mailer {
    Mailer::new(s).unwrap_or_else(|e| panic!("{e}"))
}

fn reminder() -> OutgoingMail {
    let r = Template::builtin(ReminderKind::ExpiringSoon, Language::Ja)
        .render(&values())
        .unwrap_or_else(|e| panic!("{e}"));
    OutgoingMail {
        to: "taro@example.jp".into(),
        to_name: Some("山田 太郎".into()),
        subject: r.subject,
        body: r.body,
    }
}

#[tokio::test]
async fn a_japanese_reminder_arrives_with_readable_headers_and_body() {
    let mut server = TestSmtp::start(Mode::Accept).await;
    let m = mailer(&settings(server.addr.port()));
    let mail = reminder();
    m.send(&mail).await.unwrap_or_else(|e| panic!("{e}"));
    let got = server.next().await;
    assert_eq!(got.mail_from, "<shop@example.jp>");
    assert_eq!(got.rcpt_to, vec!["<taro@example.jp>".to_owned()]);
    assert_eq!(got.login, None);
    let raw = String::from_utf8_lossy(&got.data).into_owned();
    assert!(
        raw.is_ascii(),
        "headers and body travel MIME-encoded:\n{raw}"
    );
    assert!(raw.contains("charset=utf-8"), "{raw}");
    let parsed = MessageParser::default()
        .parse(&got.data)
        .unwrap_or_else(|| panic!("unparsable:\n{raw}"));
    assert_eq!(parsed.subject(), Some(mail.subject.as_str()));
    let from = parsed
        .from()
        .and_then(|a| a.first())
        .unwrap_or_else(|| panic!("no From"));
    assert_eq!(from.name(), Some("クッキー工房"));
    assert_eq!(from.address(), Some("shop@example.jp"));
    let to = parsed
        .to()
        .and_then(|a| a.first())
        .unwrap_or_else(|| panic!("no To"));
    assert_eq!(to.name(), Some("山田 太郎"));
    assert!(parsed.date().is_some() && parsed.message_id().is_some());
    let body = parsed
        .body_text(0)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert_eq!(body.trim_end(), mail.body.trim_end());
    assert!(body.contains("山田 太郎 様") && body.contains("会員ID：member_0042"));
}

#[tokio::test]
async fn login_works_and_a_wrong_password_is_refused_without_showing_it() {
    let mut server = TestSmtp::start(Mode::RequireAuth("shop", PASSWORD)).await;
    let mut s = settings(server.addr.port());
    s.username = Some("shop".into());
    s.password = Some(Sensitive::new(PASSWORD));
    assert!(!format!("{s:?}").contains(PASSWORD));
    mailer(&s)
        .send(&reminder())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.next().await.login.as_deref(), Some("shop"));

    s.password = Some(Sensitive::new("wrong-Pa55"));
    let m = mailer(&s);
    assert!(!format!("{m:?}").contains("wrong-Pa55"));
    let e = m
        .send(&reminder())
        .await
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    match &e {
        SendError::Refused {
            code: 535,
            text,
            permanent: true,
        } => {
            assert!(
                text.contains("Authentication credentials invalid"),
                "{text}"
            )
        }
        other => panic!("expected a 535 refusal, got {other:?}"),
    }
    for shown in [e.to_string(), format!("{e:?}"), e.text().ja, e.text().en] {
        assert!(!shown.contains("wrong-Pa55"), "{shown}");
    }
    assert!(server.nothing_arrived());
}

#[tokio::test]
async fn a_refusing_server_gives_its_code_and_text() {
    let mut server = TestSmtp::start(Mode::RefuseRecipient(550, "5.1.1 No such user here")).await;
    let e = mailer(&settings(server.addr.port()))
        .send(&reminder())
        .await
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(
        e,
        SendError::Refused {
            code: 550,
            text: "5.1.1 No such user here".into(),
            permanent: true
        }
    );
    assert_eq!(e.code(), "smtp_refused");
    assert!(!e.retryable());
    assert!(
        e.text()
            .ja
            .contains("宛先か送信元のアドレスを受け付けませんでした。アドレスを確認してください。（サーバーの応答: 550 5.1.1 No such user here）"),
        "{}",
        e.text().ja
    );
    assert!(server.nothing_arrived());
}

#[tokio::test]
async fn a_temporary_refusal_is_retryable() {
    let server = TestSmtp::start(Mode::RefuseRecipient(451, "4.3.0 Try again later")).await;
    let e = mailer(&settings(server.addr.port()))
        .send(&reminder())
        .await
        .err();
    assert_eq!(
        e,
        Some(SendError::Refused {
            code: 451,
            text: "4.3.0 Try again later".into(),
            permanent: false
        })
    );
    assert!(e.is_some_and(|e| e.retryable()));
}

#[tokio::test]
async fn a_server_that_is_down_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        l.local_addr().unwrap_or_else(|e| panic!("{e}")).port()
    };
    let mut s = settings(port);
    s.username = Some("shop".into());
    s.password = Some(Sensitive::new(PASSWORD));
    let m = mailer(&s);
    let e = m
        .send(&reminder())
        .await
        .err()
        .unwrap_or_else(|| panic!("sent to nobody"));
    assert!(matches!(e, SendError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.code(), "smtp_unreachable");
    assert!(e.retryable());
    assert!(e.text().en.contains("The mail stays queued"));
    // Issue 15: the Japanese text is Japanese, not the system's English error.
    let ja = e.text().ja;
    assert!(ja.contains("接続を拒否されました"), "{ja}");
    assert!(
        !ja.contains("os error") && !ja.to_lowercase().contains("refused"),
        "{ja}"
    );
    assert!(
        e.text().en.contains("connection refused"),
        "{}",
        e.text().en
    );
    assert!(!format!("{e:?}").contains(PASSWORD));
    let test = m.test_connection().await;
    assert!(
        matches!(test, Err(SendError::Unreachable { .. })),
        "{test:?}"
    );
}

#[tokio::test]
async fn test_connection_succeeds_against_a_live_server() {
    let server = TestSmtp::start(Mode::Accept).await;
    assert_eq!(
        mailer(&settings(server.addr.port()))
            .test_connection()
            .await,
        Ok(())
    );
}

#[tokio::test]
async fn bad_addresses_and_plain_smtp_to_another_machine_are_refused_before_connecting() {
    let mut server = TestSmtp::start(Mode::Accept).await;
    let m = mailer(&settings(server.addr.port()));
    let bad = OutgoingMail {
        to: "not an address".into(),
        ..reminder()
    };
    assert_eq!(
        m.send(&bad).await,
        Err(SendError::BadRecipient {
            address: "not an address".into()
        })
    );
    assert!(server.nothing_arrived());
    let remote = SmtpSettings {
        host: "smtp.example.jp".into(),
        ..settings(25)
    };
    assert_eq!(
        Mailer::new(&remote).err(),
        Some(ConfigError::PlainNotLoopback {
            host: "smtp.example.jp".into()
        })
    );
    let sender = SmtpSettings {
        from_address: "shop@".into(),
        ..settings(25)
    };
    assert!(matches!(
        Mailer::new(&sender),
        Err(ConfigError::BadSender { .. })
    ));
    let half = SmtpSettings {
        username: Some("shop".into()),
        ..settings(25)
    };
    assert_eq!(
        Mailer::new(&half).err(),
        Some(ConfigError::IncompleteCredentials)
    );
}
