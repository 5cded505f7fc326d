//! The relay terminating TLS itself (rustls, PEM files).

use std::sync::Arc;

use futures_util::StreamExt;
use relay::{
    Relay, Tls,
    client::{DesktopClient, StreamItem},
    clock::ManualClock,
    config::Config,
    dto::RelayEvent,
    secret::HashKey,
    store,
};

use crate::support::{KEY_A, notification, start_time};

#[tokio::test]
async fn serves_notifications_and_streams_over_tls_from_pem_files() {
    let dir = tempfile::tempdir().expect("dir");
    let cert = rcgen::generate_simple_self_signed(vec!["relay.test".to_string()]).expect("cert");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("write key");
    let tls = Tls::from_pem_files(&cert_path, &key_path).expect("tls config");
    assert!(
        Tls::from_pem_files(&cert_path, &cert_path).is_err(),
        "a cert is not a key"
    );

    let db = dir.path().join("relay.db");
    store::add_shop(&db, "shop-a", &HashKey::new(KEY_A), &[], start_time()).expect("shop");
    let (_, token) = store::add_desktop(&db, "shop-a", "d", start_time()).expect("desktop");
    let relay =
        Relay::open(Config::new(&db), Arc::new(ManualClock::new(start_time()))).expect("relay");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(relay::serve(listener, relay, Some(tls), async move {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(
            reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).expect("pem"),
        )
        .resolve("relay.test", addr)
        .build()
        .expect("client");
    let base = format!("https://relay.test:{}", addr.port());
    let client = DesktopClient::with_http(http.clone(), &base, token.expose());
    let mut stream = Box::pin(client.stream(None).await.expect("stream over TLS"));
    let response = http
        .post(format!("{base}/paygent/shop-a/notify"))
        .body(notification(1, KEY_A))
        .send()
        .await
        .expect("post over TLS");
    assert_eq!(response.text().await.expect("body"), "result=0");
    loop {
        match stream.next().await.expect("item").expect("ok") {
            StreamItem::Event(RelayEvent::Payment(p)) => {
                assert_eq!(p.payment_notice_id, 1);
                break;
            }
            StreamItem::Event(other) => panic!("unexpected {other:?}"),
            StreamItem::Heartbeat(_) => {}
        }
    }
    // Plain HTTP on the TLS port gets nothing useful.
    let plain = reqwest::get(format!("http://{addr}/health")).await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));
    let _ = stop.send(());
    server.await.expect("task").expect("served");
}
