use relay::{client::ClientError, dto::RelayEvent};

use crate::support::{KEY_A, KEY_B, TestRelay, all_events, notice_ids, notification};

const DESKTOP_PATHS: [(&str, &str); 4] = [
    ("GET", "/v1/events"),
    ("GET", "/v1/stream"),
    ("GET", "/v1/status"),
    ("POST", "/v1/ack"),
];

#[tokio::test]
async fn missing_or_wrong_token_gets_401_and_nothing_else() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    let good = relay.add_desktop("shop-a", "front desk");
    assert_eq!(relay.notify("shop-a", notification(1, KEY_A)).await.0, 200);

    // Same desktop id, wrong secret; unknown desktop id; not our format; other scheme.
    let (id_part, _) = good.rsplit_once('_').expect("token shape");
    let wrong_secret = format!("{id_part}_{}", "A".repeat(43));
    let unknown_id = format!("pdr_999_{}", "A".repeat(43));
    let headers: Vec<Option<String>> = vec![
        None,
        Some(format!("Bearer {wrong_secret}")),
        Some(format!("Bearer {unknown_id}")),
        Some("Bearer not-a-token".into()),
        Some(format!("Basic {good}")),
        Some(format!("Bearer {good}x")),
    ];
    for (method, path) in DESKTOP_PATHS {
        for header in &headers {
            let mut request = relay
                .http
                .request(method.parse().expect("method"), relay.url(path));
            if let Some(h) = header {
                request = request.header("authorization", h);
            }
            if method == "POST" {
                request = request.json(&serde_json::json!({"cursor": 1}));
            }
            let response = request.send().await.expect("request");
            assert_eq!(
                response.status().as_u16(),
                401,
                "{method} {path} {header:?}"
            );
            assert_eq!(
                response
                    .headers()
                    .get("www-authenticate")
                    .map(|v| v.as_bytes()),
                Some(&b"Bearer"[..])
            );
            assert!(response.bytes().await.expect("body").is_empty());
        }
    }
    let err = relay
        .client(&wrong_secret)
        .catch_up(None, None)
        .await
        .expect_err("refused");
    assert!(matches!(err, ClientError::Unauthorized));
    // The real token still works.
    assert_eq!(all_events(&relay.client(&good)).await.len(), 1);
    relay.stop().await;
}

#[tokio::test]
async fn one_shops_token_never_reads_another_shops_events() {
    let relay = TestRelay::start().await;
    relay.add_shop("shop-a", KEY_A, &[]);
    relay.add_shop("shop-b", KEY_B, &[]);
    let token_a = relay.add_desktop("shop-a", "a");
    let token_b = relay.add_desktop("shop-b", "b");
    for id in 1..=3 {
        assert_eq!(relay.notify("shop-a", notification(id, KEY_A)).await.0, 200);
    }
    for id in 1..=2 {
        assert_eq!(relay.notify("shop-b", notification(id, KEY_B)).await.0, 200);
    }
    let a = relay.client(&token_a);
    let b = relay.client(&token_b);
    let events_a = all_events(&a).await;
    let events_b = all_events(&b).await;
    assert_eq!(notice_ids(&events_a), vec![1, 2, 3]);
    assert_eq!(notice_ids(&events_b), vec![1, 2]);
    assert!(events_a.iter().all(|e| e.shop() == "shop-a"));
    assert!(events_b.iter().all(|e| e.shop() == "shop-b"));
    // A cursor inside the other shop's range shows nothing of it either.
    let page = b.catch_up(Some(0), Some(1000)).await.expect("page");
    assert!(page.events.iter().all(|e| e.shop() == "shop-b"));

    // The stream, too: B's stream sees B's next event and never A's.
    let mut stream = Box::pin(b.stream(Some(0)).await.expect("stream"));
    assert_eq!(relay.notify("shop-a", notification(4, KEY_A)).await.0, 200);
    assert_eq!(relay.notify("shop-b", notification(3, KEY_B)).await.0, 200);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        use futures_util::StreamExt;
        match stream.next().await.expect("item").expect("ok") {
            relay::client::StreamItem::Event(RelayEvent::Payment(p)) => {
                assert_eq!(p.shop, "shop-b");
                seen.push(p.payment_notice_id);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, vec![1, 2, 3]);
    let status = b.status().await.expect("status");
    assert_eq!(status.shop, "shop-b");
    assert_eq!(status.last_notice_id, Some(3));
    relay.stop().await;
}

#[tokio::test]
async fn token_printed_by_add_desktop_command_works() {
    let relay = TestRelay::start().await;
    let bin = env!("CARGO_BIN_EXE_paydesk-relay");
    let db = relay.database.to_str().expect("utf-8 path").to_string();
    let out = std::process::Command::new(bin)
        .args(["add-shop", "--shop", "shop-cli", "--allow-ip", "127.0.0.1"])
        .env("PAYDESK_RELAY_DATABASE", &db)
        .env("PAYDESK_RELAY_HASH_KEY", KEY_A)
        .env("PAYDESK_RELAY_PUBLIC_URL", "https://relay.example.jp")
        .output()
        .expect("add-shop runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("https://relay.example.jp/paygent/shop-cli/notify"),
        "{text}"
    );
    assert!(!text.contains(KEY_A), "the hash key is never printed");

    let out = std::process::Command::new(bin)
        .args(["add-desktop", "--shop", "shop-cli", "--name", "register 1"])
        .env("PAYDESK_RELAY_DATABASE", &db)
        .output()
        .expect("add-desktop runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let token = stdout
        .lines()
        .find(|l| l.starts_with("pdr_"))
        .expect("token line")
        .to_string();

    assert_eq!(
        relay.notify("shop-cli", notification(1, KEY_A)).await.0,
        200
    );
    let client = relay.client(&token);
    assert_eq!(notice_ids(&all_events(&client).await), vec![1]);

    let out = std::process::Command::new(bin)
        .args(["list"])
        .env("PAYDESK_RELAY_DATABASE", &db)
        .output()
        .expect("list runs");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("shop shop-cli  allow-ip: 127.0.0.1"),
        "{listing}"
    );
    assert!(!listing.contains(&token) && !listing.contains(KEY_A));
    relay.stop().await;
}

/// The operator's command line: help for every command, and usage errors that change
/// nothing and exit 2 (1 is kept for a command that ran and failed).
#[test]
fn the_command_line_documents_every_command_and_refuses_bad_usage() {
    let bin = env!("CARGO_BIN_EXE_paydesk-relay");
    let database = std::env::temp_dir().join(format!("relay-usage-{}.db", std::process::id()));
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("PAYDESK_RELAY_DATABASE", &database)
            .output()
            .expect("paydesk-relay runs")
    };
    let help = run(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for command in [
        "serve",
        "add-shop",
        "add-desktop",
        "rotate-desktop",
        "revoke-desktop",
        "list",
        "quarantine",
    ] {
        assert!(text.contains(command), "{command} in\n{text}");
        let sub = run(&[command, "--help"]);
        assert!(sub.status.success(), "{command} --help");
        assert!(String::from_utf8_lossy(&sub.stdout).contains("--config"));
    }
    for bad in [
        &[
            "add-shop",
            "--shop",
            "s",
            "--allow-ip",
            "127.0.0.1",
            "--clear-allow-ip",
        ][..],
        &["add-shop", "--shop", "s", "--allow-ip", "not-an-address"],
        &["rotate-desktop", "--id", "-1"],
        &["revoke-desktop"],
        &["list", "--unknown"],
        &["no-such-command"],
        &[],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!out.stderr.is_empty(), "{bad:?} says why");
    }
    assert!(!database.exists(), "bad usage created no database");
}
