//! The attack suite: the real `paydesk-relay` process on loopback, attacked the way issue 16
//! found it could be. Each test names the attack and asserts what must still hold (a genuine
//! notification answered `result=0`, a refused request, a closed connection); none measures
//! time. Counts are small (hundreds of connections at most) and the relay's limits are
//! lowered through its `PAYDESK_RELAY_*` variables so each cap is reached cheaply; the
//! open-files limit is lowered for the child with `ulimit`. Waits are for events (a line in
//! the log, a closed socket, an answer), each under a generous safety bound so that a relay
//! without the defence fails instead of hanging.
//!
//! `PAYDESK_RELAY_BIN` runs the suite against another build (e.g. main's) to show that each
//! attack succeeds there.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc as std_mpsc,
    time::Duration,
};

use futures_util::StreamExt;
use relay::{
    client::{DesktopClient, StreamItem},
    dto::RelayEvent,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::support::{KEY_A, notification};

/// Longest any single wait may take before the test fails (a relay without the defence
/// would otherwise hang the test).
const BOUND: Duration = Duration::from_secs(30);

async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no outcome within the safety bound"))
}

fn binary() -> PathBuf {
    std::env::var_os("PAYDESK_RELAY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_paydesk-relay")))
}

/// A relay's folder: its configuration file and database.
struct Site {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Site {
    fn new(listen: &str, env: &[(&str, &str)]) -> Site {
        relay::raise_open_files_limit();
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("relay.db");
        std::fs::write(
            dir.path().join("relay.toml"),
            format!(
                "listen = {listen:?}\ndatabase = {:?}\n",
                db.display().to_string()
            ),
        )
        .expect("config");
        Site {
            dir,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("relay.db")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("relay.toml")
    }

    /// Runs an operator command; its stdout, or its stderr as the error.
    fn admin(&self, args: &[&str], env: &[(&str, &str)]) -> Result<String, String> {
        let out = Command::new(binary())
            .arg(args[0])
            .arg("--config")
            .arg(self.config())
            .args(&args[1..])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("command runs");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn add_shop(&self, extra: &[&str]) {
        let mut args = vec!["add-shop", "--shop", "shop-a"];
        args.extend_from_slice(extra);
        self.admin(&args, &[("PAYDESK_RELAY_HASH_KEY", KEY_A)])
            .expect("add-shop");
    }

    /// Adds a desktop; its id and token.
    fn add_desktop(&self, name: &str) -> (u64, String) {
        let out = self
            .admin(&["add-desktop", "--shop", "shop-a", "--name", name], &[])
            .expect("add-desktop");
        let id = out
            .split_whitespace()
            .nth(1)
            .and_then(|w| w.parse().ok())
            .expect("desktop id");
        let token = out
            .lines()
            .find(|l| l.starts_with("pdr_"))
            .expect("token line")
            .to_string();
        (id, token)
    }

    /// Starts `serve`; with `nofile`, under that open-files limit (soft and hard).
    fn serve(&self, nofile: Option<u64>) -> Proc {
        let mut command = match nofile {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!(
                        "ulimit -S -n {n} && ulimit -H -n {n} && exec \"$0\" \"$@\""
                    ))
                    .arg(binary());
                c
            }
            None => Command::new(binary()),
        };
        let mut child = command
            .arg("serve")
            .arg("--config")
            .arg(self.config())
            .env("PAYDESK_RELAY_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("relay starts");
        let (tx, log) = std_mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let addr: SocketAddr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("address");
        Proc { child, addr, log }
    }
}

struct Proc {
    child: Child,
    addr: SocketAddr,
    log: std_mpsc::Receiver<String>,
}

impl Proc {
    /// Reads the relay's log until a line containing `needle`.
    fn wait_log(&self, needle: &str) -> String {
        loop {
            match self.log.recv_timeout(BOUND) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line with {needle:?} within the safety bound"),
            }
        }
    }

    fn port_on(&self, ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("ip"), self.addr.port())
    }

    async fn notify(&self, id: u64) -> (u16, String) {
        post(self.addr, id, KEY_A, &[]).await
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Posts a notification (on a fresh connection) with extra headers.
async fn post(addr: SocketAddr, id: u64, key: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/paygent/shop-a/notify"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(notification(id, key));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    bounded("notification answered", async {
        let response = request.send().await.expect("posted");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    })
    .await
}

async fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(format!("http://{addr}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    bounded("GET answered", async {
        request.send().await.expect("sent").status().as_u16()
    })
    .await
}

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.0/8 is all ours).
async fn connect_from(from: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from.parse().expect("ip"), 0))
        .expect("bind source");
    bounded("connect", socket.connect(addr))
        .await
        .expect("connect")
}

/// Opens a connection from `from` and sends the first part of a request, never the rest.
async fn slow(from: &str, addr: SocketAddr, start: &[u8]) -> TcpStream {
    let mut tcp = connect_from(from, addr).await;
    tcp.write_all(start).await.expect("write");
    tcp
}

/// The source address of attacker `n`: 127.0.1.0 onwards, never the genuine 127.0.0.1.
fn attacker(n: usize) -> String {
    format!("127.0.{}.{}", 1 + n / 250, 1 + n % 250)
}

/// Waits until the relay closes `tcp` (answer bytes, if any, are read and dropped).
async fn closed_by_relay(what: &str, tcp: &mut TcpStream) {
    bounded(what, async {
        let mut buf = [0u8; 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
}

const SLOW_NOTIFY: &[u8] = b"POST /paygent/shop-a/notify HTTP/1.1\r\nHost: relay\r\n";
const SLOW_STREAM: &[u8] = b"GET /v1/stream HTTP/1.1\r\nHost: relay\r\n";

// ---- 1. Slow and idle connections ----

/// 400 half-sent heads against a relay whose open-files limit is 256: a genuine
/// notification is still answered `result=0` and `/health` still answers.
#[cfg(unix)]
async fn slow_heads_at_the_file_limit(start: &[u8]) {
    let site = Site::new("127.0.0.1:0", &[]);
    site.add_shop(&[]);
    let relay = site.serve(Some(256));
    // All 400 connect (those the relay cannot take yet wait in the kernel's backlog) and
    // send half a head before the genuine notification comes.
    let mut held = Vec::new();
    for n in 0..400 {
        held.push(slow(&attacker(n), relay.addr, start).await);
    }
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    assert_eq!(get(relay.addr, "/health", None).await, 200);
    assert_eq!(relay.notify(2).await, (200, "result=0".into()));
    drop(held);
}

// The open-files limit (`ulimit -n`) is Unix's, where the relay is deployed; Windows has
// none on sockets, and there the configured cap alone bounds connections (the cap tests
// below, and `gate::cap_by_open_files`).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_slow_notification_heads_at_the_file_limit() {
    slow_heads_at_the_file_limit(SLOW_NOTIFY).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_slow_stream_heads_at_the_file_limit() {
    slow_heads_at_the_file_limit(SLOW_STREAM).await;
}

async fn half_sent_head_is_closed(start: &[u8]) {
    let site = Site::new(
        "127.0.0.1:0",
        &[("PAYDESK_RELAY_HEAD_TIMEOUT_SECONDS", "1")],
    );
    site.add_shop(&[]);
    let relay = site.serve(None);
    let mut tcp = slow("127.0.0.1", relay.addr, start).await;
    closed_by_relay("half-sent head closed at the head deadline", &mut tcp).await;
    // An idle kept-alive connection is closed too, after its last answer.
    let mut idle = connect_from("127.0.0.1", relay.addr).await;
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .expect("write");
    closed_by_relay("idle kept-alive connection closed", &mut idle).await;
}

#[tokio::test]
async fn attack_half_sent_notification_head_is_closed_at_the_head_deadline() {
    half_sent_head_is_closed(SLOW_NOTIFY).await;
}

#[tokio::test]
async fn attack_half_sent_stream_head_is_closed_at_the_head_deadline() {
    half_sent_head_is_closed(SLOW_STREAM).await;
}

#[tokio::test]
async fn attack_stalled_body_is_answered_408_at_the_body_deadline() {
    let site = Site::new(
        "127.0.0.1:0",
        &[("PAYDESK_RELAY_BODY_TIMEOUT_SECONDS", "1")],
    );
    site.add_shop(&[]);
    let relay = site.serve(None);
    let mut tcp = slow(
        "127.0.0.1",
        relay.addr,
        b"POST /paygent/shop-a/notify HTTP/1.1\r\nHost: relay\r\nContent-Length: 60000\r\n\r\npayment_notice_id=1&",
    )
    .await;
    let answer = bounded("stalled body answered", async {
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer).await;
        answer
    })
    .await;
    assert!(
        answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
}

/// One IP's unauthenticated connections are capped (its oldest is closed), while a desktop's
/// authenticated streams from that IP, on both HTTP paths, are never closed for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_one_ip_holding_many_connections_loses_its_oldest() {
    let site = Site::new(
        "127.0.0.1:0",
        &[
            ("PAYDESK_RELAY_MAX_CONNECTIONS_PER_IP", "8"),
            ("PAYDESK_RELAY_HEAD_TIMEOUT_SECONDS", "600"),
            // Twelve streams of one token stand for twelve desktops here.
            ("PAYDESK_RELAY_MAX_STREAMS_PER_DESKTOP", "12"),
        ],
    );
    site.add_shop(&[]);
    let (_, token) = site.add_desktop("front");
    let relay = site.serve(None);
    let addr = relay.addr;
    // Twelve desktop streams from 127.0.0.9: six on the lean path, six through hyper (an
    // absolute-form request line, which the lean path's prefix does not match).
    let mut streams = Vec::new();
    for n in 0..12 {
        let mut tcp = connect_from("127.0.0.9", relay.addr).await;
        let target = if n % 2 == 0 {
            "/v1/stream"
        } else {
            "http://relay/v1/stream"
        };
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await.expect("write");
        read_until(&mut tcp, b"\r\n\r\n").await;
        streams.push(tcp);
    }
    let mut first = slow("127.0.0.9", addr, SLOW_NOTIFY).await;
    let mut others = Vec::new();
    for _ in 0..8 {
        others.push(slow("127.0.0.9", addr, SLOW_NOTIFY).await);
    }
    closed_by_relay(
        "the IP's oldest unauthenticated connection closed",
        &mut first,
    )
    .await;
    // Every stream is still open and gets the next event.
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    for tcp in &mut streams {
        read_until(tcp, b"\"payment_notice_id\":1").await;
    }
}

async fn read_until(tcp: &mut TcpStream, needle: &[u8]) {
    bounded("expected bytes", async {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !seen.windows(needle.len()).any(|w| w == needle) {
            let n = tcp.read(&mut buf).await.expect("read");
            assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(needle));
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await;
}

/// At the cap on connections in all, a genuine notification gets in by closing the oldest
/// slow connection.
async fn slow_connections_fill_the_cap(start: &[u8]) {
    let site = Site::new(
        "127.0.0.1:0",
        &[
            ("PAYDESK_RELAY_MAX_CONNECTIONS", "16"),
            ("PAYDESK_RELAY_HEAD_TIMEOUT_SECONDS", "600"),
        ],
    );
    site.add_shop(&[]);
    let relay = site.serve(None);
    let mut oldest = slow(&attacker(0), relay.addr, start).await;
    let mut rest = Vec::new();
    for n in 1..16 {
        rest.push(slow(&attacker(n), relay.addr, start).await);
    }
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    closed_by_relay("the oldest slow connection closed", &mut oldest).await;
    relay.wait_log("connection cap reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_slow_notification_heads_from_many_ips_fill_the_connection_cap() {
    slow_connections_fill_the_cap(SLOW_NOTIFY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_slow_stream_heads_from_many_ips_fill_the_connection_cap() {
    slow_connections_fill_the_cap(SLOW_STREAM).await;
}

/// One desktop token opening stream after stream (a leaked token) cannot fill the
/// connection cap: over `max_streams_per_desktop`, its oldest stream ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_one_token_opening_many_streams_loses_its_oldest() {
    let site = Site::new(
        "127.0.0.1:0",
        &[("PAYDESK_RELAY_MAX_STREAMS_PER_DESKTOP", "2")],
    );
    site.add_shop(&[]);
    let (_, token) = site.add_desktop("front");
    let relay = site.serve(None);
    let client = DesktopClient::new(&format!("http://{}", relay.addr), &token);
    let oldest = bounded("stream", client.stream(None))
        .await
        .expect("stream");
    let _second = bounded("stream", client.stream(None))
        .await
        .expect("stream");
    let mut newest = Box::pin(
        bounded("stream", client.stream(None))
            .await
            .expect("stream"),
    );
    bounded("the token's oldest stream ends", async {
        let mut oldest = Box::pin(oldest);
        while let Some(Ok(_)) = oldest.next().await {}
    })
    .await;
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    bounded("the newest stream still delivers", async {
        loop {
            if let StreamItem::Event(RelayEvent::Payment(p)) =
                newest.next().await.expect("open").expect("item")
            {
                assert_eq!(p.payment_notice_id, 1);
                return;
            }
        }
    })
    .await;
}

// ---- 3. Quarantine ----

#[tokio::test]
async fn attack_forged_bodies_keep_a_small_capped_quarantine() {
    let site = Site::new(
        "127.0.0.1:0",
        &[
            ("PAYDESK_RELAY_QUARANTINE_PER_SHOP", "5"),
            ("PAYDESK_RELAY_QUARANTINE_PER_IP_PER_MINUTE", "1000"),
        ],
    );
    site.add_shop(&[]);
    let relay = site.serve(None);
    let padding = "x".repeat(60_000);
    for id in 1..=20u64 {
        // Forged: signed with the wrong key, and padded to 60 KB.
        let mut body = notification(id, "not-the-shop-key");
        body.extend_from_slice(format!("&memo={padding}").as_bytes());
        let answer = bounded("forged body answered", async {
            let response = reqwest::Client::new()
                .post(format!("http://{}/paygent/shop-a/notify", relay.addr))
                .body(body)
                .send()
                .await
                .expect("posted");
            (
                response.status().as_u16(),
                response.text().await.expect("text"),
            )
        })
        .await;
        assert_eq!(answer, (200, "result=0".into()));
    }
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .map(|s| {
            let mut p = site.db().into_os_string();
            p.push(s);
            std::fs::metadata(p).map_or(0, |m| m.len())
        })
        .sum();
    assert!(
        size < 1_000_000,
        "20 forged 60 KB bodies grew the database to {size} bytes"
    );
    let listed = site
        .admin(&["quarantine", "--shop", "shop-a"], &[])
        .expect("quarantine");
    assert!(listed.contains("5 quarantined notifications."), "{listed}");
    assert!(listed.contains("notice 20 "), "newest kept: {listed}");
    assert!(!listed.contains("notice 15 "), "oldest dropped: {listed}");
    relay.stop();
}

#[tokio::test]
async fn attack_one_ip_forging_fast_is_rate_limited_and_the_operator_clears_it() {
    let site = Site::new(
        "127.0.0.1:0",
        &[("PAYDESK_RELAY_QUARANTINE_PER_IP_PER_MINUTE", "3")],
    );
    site.add_shop(&[]);
    let relay = site.serve(None);
    for id in 1..=10u64 {
        assert_eq!(
            post(relay.addr, id, "not-the-shop-key", &[]).await,
            (200, "result=0".into())
        );
    }
    let listed = site.admin(&["quarantine"], &[]).expect("quarantine");
    assert!(listed.contains("3 quarantined notifications."), "{listed}");
    let cleared = site.admin(&["quarantine", "--clear"], &[]).expect("clear");
    assert!(
        cleared.contains("3 quarantined notifications deleted."),
        "{cleared}"
    );
    let listed = site.admin(&["quarantine"], &[]).expect("quarantine");
    assert!(listed.contains("0 quarantined notifications."), "{listed}");
    relay.stop();
}

// ---- 4. Replays after retention ----

#[tokio::test]
async fn attack_replay_after_retention_is_not_stored_again() {
    let site = Site::new("127.0.0.1:0", &[]);
    site.add_shop(&[]);
    let (_, token) = site.add_desktop("front");
    let relay = site.serve(None);
    assert_eq!(relay.notify(7).await, (200, "result=0".into()));
    relay.stop();
    // Age the event past retention; the relay prunes at start.
    let conn = rusqlite::Connection::open(site.db()).expect("db");
    conn.execute(
        "UPDATE events SET received_at = '2000-01-01T00:00:00.000000Z'",
        [],
    )
    .expect("aged");
    drop(conn);
    let relay = site.serve(None);
    relay.wait_log("retention ran");
    // The same genuine body, replayed.
    assert_eq!(relay.notify(7).await, (200, "result=0".into()));
    let client = DesktopClient::new(&format!("http://{}", relay.addr), &token);
    let page = bounded("catch-up", client.catch_up(Some(0), None))
        .await
        .expect("page");
    assert!(
        page.events.is_empty(),
        "replayed record stored again: {:?}",
        page.events
    );
}

// ---- 5. Operator commands and the database file ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_revoked_and_rotated_tokens_stop_working_and_their_streams_end() {
    let site = Site::new("127.0.0.1:0", &[("PAYDESK_RELAY_HEARTBEAT_SECONDS", "1")]);
    site.add_shop(&[]);
    let (stolen_id, stolen) = site.add_desktop("stolen laptop");
    let (kept_id, kept) = site.add_desktop("front desk");
    let relay = site.serve(None);
    let url = format!("http://{}", relay.addr);
    let stream = DesktopClient::new(&url, &stolen)
        .stream(None)
        .await
        .expect("stream");
    site.admin(&["revoke-desktop", "--id", &stolen_id.to_string()], &[])
        .expect("revoke");
    assert_eq!(get(relay.addr, "/v1/status", Some(&stolen)).await, 401);
    bounded("revoked desktop's stream ends", async {
        let mut stream = Box::pin(stream);
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;

    // Rotation keeps the cursor.
    let client = DesktopClient::new(&url, &kept);
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    let cursor = bounded("ack", client.ack(1)).await.expect("ack");
    let out = site
        .admin(&["rotate-desktop", "--id", &kept_id.to_string()], &[])
        .expect("rotate");
    let fresh = out
        .lines()
        .find(|l| l.starts_with("pdr_"))
        .expect("new token");
    assert_eq!(get(relay.addr, "/v1/status", Some(&kept)).await, 401);
    let status = bounded("status", DesktopClient::new(&url, fresh).status())
        .await
        .expect("status with the new token");
    assert_eq!(status.desktop.cursor, cursor);
}

#[tokio::test]
async fn attack_add_shop_again_keeps_the_allow_list_unless_cleared() {
    let site = Site::new("127.0.0.1:0", &[]);
    site.add_shop(&["--allow-ip", "192.0.2.1"]);
    // A key change without --allow-ip: the list stays.
    site.add_shop(&[]);
    let relay = site.serve(None);
    assert_eq!(relay.notify(1).await.0, 403);
    site.add_shop(&["--clear-allow-ip"]);
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
}

#[cfg(unix)]
#[tokio::test]
async fn attack_database_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new("127.0.0.1:0", &[]);
    site.add_shop(&[]);
    let relay = site.serve(None);
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    for suffix in ["", "-wal", "-shm"] {
        let mut path = site.db().into_os_string();
        path.push(suffix);
        let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path:?} is {mode:o}");
    }
    relay.stop();
    std::fs::set_permissions(site.db(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let relay = site.serve(None);
    relay.wait_log("readable by others");
}

// ---- 6. Addresses ----

/// Linux and macOS: a `[::]` listener also takes IPv4, as IPv4-mapped addresses.
#[cfg(not(windows))]
#[tokio::test]
async fn attack_ipv4_mapped_peer_on_a_dual_stack_listener_matches_the_allow_list() {
    let site = Site::new("[::]:0", &[]);
    site.add_shop(&["--allow-ip", "127.0.0.1"]);
    let mut relay = site.serve(None);
    relay.addr = relay.port_on("127.0.0.1");
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
}

/// Windows: an IPv6 socket is IPv6-only unless told otherwise, so a relay on `[::]` takes
/// no IPv4 connection at all (an operator there binds `0.0.0.0` for IPv4), and its IPv6
/// peers still meet the allow list.
#[cfg(windows)]
#[tokio::test]
async fn attack_a_wildcard_ipv6_listener_on_windows_takes_no_ipv4_and_checks_ipv6_peers() {
    let site = Site::new("[::]:0", &[]);
    site.add_shop(&["--allow-ip", "::1"]);
    let mut relay = site.serve(None);
    let v4 = relay.port_on("127.0.0.1");
    assert!(tokio::net::TcpStream::connect(v4).await.is_err());
    relay.addr = relay.port_on("::1");
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
}

#[tokio::test]
async fn attack_unparsable_forwarded_hop_is_refused_not_skipped() {
    let site = Site::new(
        "127.0.0.1:0",
        &[("PAYDESK_RELAY_TRUSTED_PROXIES", "127.0.0.1")],
    );
    site.add_shop(&["--allow-ip", "27.110.52.4"]);
    let relay = site.serve(None);
    // The attacker wrote Paygent's address; the proxy's own hop did not parse.
    let (status, _) = post(
        relay.addr,
        1,
        KEY_A,
        &[("x-forwarded-for", "27.110.52.4, unknown")],
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(relay.addr, 1, KEY_A, &[("x-forwarded-for", "198.51.100.7")]).await;
    assert_eq!(status, 403);
    let answer = post(relay.addr, 1, KEY_A, &[("x-forwarded-for", "27.110.52.4")]).await;
    assert_eq!(answer, (200, "result=0".into()));
}

// ---- 7. Cursors and health ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_cursor_beyond_the_newest_event_does_not_silence_the_stream() {
    let site = Site::new("127.0.0.1:0", &[]);
    site.add_shop(&[]);
    let (_, token) = site.add_desktop("front");
    let relay = site.serve(None);
    let client = DesktopClient::new(&format!("http://{}", relay.addr), &token);
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    let stored = bounded("ack", client.ack(1_000_000)).await.expect("ack");
    assert!(
        stored < 1_000_000,
        "ack beyond the newest event stored as {stored}"
    );
    // A Last-Event-ID far ahead as well as the stored cursor: both streams still deliver.
    let mut from_stored = Box::pin(
        bounded("stream", client.stream(None))
            .await
            .expect("stream"),
    );
    let mut from_far = Box::pin(
        bounded("stream", client.stream(Some(1 << 40)))
            .await
            .expect("stream"),
    );
    assert_eq!(relay.notify(2).await, (200, "result=0".into()));
    for stream in [&mut from_stored, &mut from_far] {
        bounded("event 2 delivered", async {
            loop {
                match stream.next().await.expect("open").expect("item") {
                    StreamItem::Event(RelayEvent::Payment(p)) if p.payment_notice_id == 2 => {
                        return;
                    }
                    _ => {}
                }
            }
        })
        .await;
    }
    // No seq can exceed i64::MAX: a plain refusal, not "unavailable".
    let status = bounded("huge ack", async {
        reqwest::Client::new()
            .post(format!("http://{}/v1/ack", relay.addr))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "cursor": u64::MAX }))
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16()
    })
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn attack_failing_writes_show_in_health() {
    let site = Site::new("127.0.0.1:0", &[]);
    site.add_shop(&[]);
    let relay = site.serve(None);
    assert_eq!(get(relay.addr, "/health", None).await, 200);
    // Every write of an event fails from now on (as on a full disk).
    let conn = rusqlite::Connection::open(site.db()).expect("db");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    conn.execute_batch(
        "CREATE TRIGGER fail_writes BEFORE INSERT ON events BEGIN SELECT RAISE(FAIL, 'disk full'); END;",
    )
    .expect("trigger");
    assert_eq!(relay.notify(1).await.0, 500);
    assert_eq!(get(relay.addr, "/health", None).await, 503);
    conn.execute_batch("DROP TRIGGER fail_writes;")
        .expect("drop");
    assert_eq!(relay.notify(1).await, (200, "result=0".into()));
    assert_eq!(get(relay.addr, "/health", None).await, 200);
}
