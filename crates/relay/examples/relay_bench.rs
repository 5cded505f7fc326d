//! Relay benchmark: durable notifications per second, POST-to-desktop latency, relay memory
//! with 1,000 and 10,000 idle desktop streams (on the lean stream path and, for comparison,
//! through hyper), and a genuine notification's answer time while 2,000 slow connections
//! are open against a relay whose open-files limit is 1,024.
//!
//! `cargo run --release -p relay --example relay_bench [-- --quick]`
//!
//! The relay runs in a child process (this same executable, re-run with
//! `PAYDESK_RELAY_BENCH_CHILD` set) on 127.0.0.1, with its database in a temporary folder on
//! the working directory's disk, `synchronous=FULL`, so its RSS is measured alone. The load
//! generator speaks raw HTTP/1.1 over keep-alive connections to stay cheap on 2 cores.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use relay::{
    Relay,
    client::{DesktopClient, StreamItem},
    clock::SystemClock,
    config::Config,
    dto::RelayEvent,
    secret::HashKey,
    store,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as TokioBufReader},
    net::TcpStream,
};

const KEY: &str = "bench-hash-key";
const CHILD_ENV: &str = "PAYDESK_RELAY_BENCH_CHILD";
/// Set to `0` in a child to serve streams through hyper instead of the lean path.
const LEAN_ENV: &str = "PAYDESK_RELAY_BENCH_LEAN";

fn main() {
    if let Ok(db) = std::env::var(CHILD_ENV) {
        run_child(db.into());
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run_parent(quick));
}

/// The relay under test: serves until its stdin closes.
fn run_child(database: std::path::PathBuf) {
    relay::raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let mut config = Config::new(database);
        config.lean_streams = std::env::var(LEAN_ENV).map_or(true, |v| v != "0");
        // One token stands for the 10,000 desktops of the idle-stream figure.
        config.limits.max_streams_per_desktop = 20_000;
        let relay = Relay::open(config, Arc::new(SystemClock)).expect("relay");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        let stdin_closed = async {
            let mut buf = [0u8; 1];
            let mut stdin = tokio::io::stdin();
            while stdin.read(&mut buf).await.map(|n| n > 0).unwrap_or(false) {}
        };
        relay::serve(listener, relay, None, stdin_closed)
            .await
            .expect("serve");
    });
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn run_parent(quick: bool) {
    relay::raise_open_files_limit();
    let dir = tempfile::tempdir_in(".").expect("temp dir on the working disk");
    let db = dir.path().join("bench.db");
    let now = chrono::Utc::now();
    store::add_shop(&db, "bench", &HashKey::new(KEY), &[], now).expect("shop");
    let (_, token) = store::add_desktop(&db, "bench", "bench desktop", now).expect("desktop");
    let token = token.expose().to_string();

    let (mut child, addr) = spawn_child(&db, true, None);
    let pid = child.id();
    println!("relay pid {pid} on {addr}; database {}", db.display());
    println!(
        "cores: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // 1. Throughput.
    let total: u64 = if quick { 10_000 } else { 60_000 };
    let connections: u64 = 64;
    let bodies: Vec<Vec<u8>> = (1..=total).map(body).collect();
    let bodies = Arc::new(bodies);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let bodies = bodies.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = RawConn::connect(addr).await;
            let mut i = c;
            while i < total {
                let (status, text) = conn
                    .post("/paygent/bench/notify", &bodies[i as usize])
                    .await;
                assert_eq!((status, text.as_str()), (200, "result=0"));
                i += connections;
            }
        }));
    }
    for t in tasks {
        t.await.expect("sender");
    }
    let elapsed = started.elapsed();
    let rate = total as f64 / elapsed.as_secs_f64();
    println!(
        "throughput: {total} durable notifications in {:.2} s = {rate:.0}/s ({connections} connections, synchronous=FULL, group commit)",
        elapsed.as_secs_f64()
    );
    metric(
        "relay durable notifications/s",
        format!("{rate:.0}"),
        "/s",
        ">= 20000",
    );

    // 2. Latency: POST to arrival at a connected desktop, one at a time.
    let client = DesktopClient::new(&format!("http://{addr}"), &token);
    // Start the stream at the end of the log.
    let mut stream = Box::pin(
        client
            .stream(Some(last_seq(&client).await))
            .await
            .expect("stream"),
    );
    let samples: u64 = if quick { 500 } else { 3000 };
    let mut conn = RawConn::connect(addr).await;
    let mut latencies = Vec::with_capacity(samples as usize);
    for n in 1..=samples {
        let id = total + n;
        let payload = body(id);
        let sent = Instant::now();
        let (post, arrived) = tokio::join!(conn.post("/paygent/bench/notify", &payload), async {
            loop {
                match stream.next().await.expect("open").expect("ok") {
                    StreamItem::Event(RelayEvent::Payment(p)) if p.payment_notice_id == id => {
                        return Instant::now();
                    }
                    _ => {}
                }
            }
        });
        assert_eq!(post.0, 200);
        latencies.push(arrived - sent);
    }
    latencies.sort();
    println!(
        "latency POST -> desktop stream ({samples} sequential): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let ms = |q| format!("{:.2}", percentile(&latencies, q).as_secs_f64() * 1e3);
    metric("notification -> desktop p50", ms(0.50), "ms", "-");
    metric("notification -> desktop p99", ms(0.99), "ms", "< 5");
    drop(stream);

    // 3. Memory with idle streams, on the lean path, then through hyper (a second relay on
    // the same database) to show what the lean path saves.
    let targets: &[usize] = &[1_000, 10_000];
    idle_streams(addr, pid, &token, targets, "lean stream path").await;
    drop(child.stdin.take());
    let _ = child.wait();
    let (mut hyper_child, hyper_addr) = spawn_child(&db, false, None);
    let hyper_targets: &[usize] = if quick { &[1_000] } else { &[1_000, 10_000] };
    idle_streams(
        hyper_addr,
        hyper_child.id(),
        &token,
        hyper_targets,
        "through hyper",
    )
    .await;
    drop(hyper_child.stdin.take());
    let _ = hyper_child.wait();

    // 4. A genuine notification while slow connections are open, with the relay's
    // open-files limit at 1,024 (as when issue 16 found 20 s answers).
    let (mut slow_child, slow_addr) = spawn_child(&db, true, Some(1024));
    let slow_count = if quick { 300 } else { 2_000 };
    let mut slow = Vec::with_capacity(slow_count);
    for n in 0..slow_count {
        let from = format!("127.0.{}.{}", 1 + n / 250, 1 + n % 250);
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(from.parse().expect("ip"), 0))
            .expect("bind");
        let mut tcp = socket.connect(slow_addr).await.expect("connect");
        tcp.write_all(b"POST /paygent/bench/notify HTTP/1.1\r\nHost: relay\r\n")
            .await
            .expect("write");
        slow.push(tcp);
    }
    let mut answers = Vec::new();
    for n in 1..=20u64 {
        let id = 10_000_000 + n;
        let payload = body(id);
        let sent = Instant::now();
        let mut conn = RawConn::connect(slow_addr).await;
        let (status, text) = conn.post("/paygent/bench/notify", &payload).await;
        assert_eq!((status, text.as_str()), (200, "result=0"));
        answers.push(sent.elapsed());
    }
    answers.sort();
    let worst = answers.last().copied().unwrap_or_default();
    println!(
        "genuine notification with {slow_count} slow connections open (open-files limit 1,024): p50 {:.2} ms, max {:.2} ms over 20",
        percentile(&answers, 0.5).as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    metric(
        &format!("notification answer, {slow_count} slow connections (max of 20)"),
        format!("{:.1}", worst.as_secs_f64() * 1e3),
        "ms",
        "< 1000",
    );
    drop(slow);
    drop(slow_child.stdin.take());
    let _ = slow_child.wait();
}

/// Starts a relay child on `db`; with `nofile`, under that open-files limit.
fn spawn_child(db: &std::path::Path, lean: bool, nofile: Option<u64>) -> (Child, SocketAddr) {
    let exe = std::env::current_exe().expect("exe");
    let mut command = match nofile {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!(
                    "ulimit -S -n {n} && ulimit -H -n {n} && exec \"$0\""
                ))
                .arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let mut child = command
        .env(CHILD_ENV, db)
        .env(LEAN_ENV, if lean { "1" } else { "0" })
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("child relay");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    (child, line.trim().parse().expect("address"))
}

/// Opens idle desktop streams (each from its own loopback address, as desktops are) up to
/// each target and prints the relay's RSS.
async fn idle_streams(addr: SocketAddr, pid: u32, token: &str, targets: &[usize], path: &str) {
    println!(
        "relay RSS before idle streams ({path}): {} MiB",
        rss_kib(pid) / 1024
    );
    let mut idle: Vec<TcpStream> = Vec::new();
    for &target in targets {
        while idle.len() < target {
            let batch = (target - idle.len()).min(250);
            let first = idle.len();
            let opened = futures_util::future::join_all(
                (first..first + batch).map(|n| open_idle_stream(addr, token, n)),
            )
            .await;
            idle.extend(opened);
        }
        // Let the relay settle after the connection burst.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mib = rss_kib(pid) as f64 / 1024.0;
        println!("relay RSS with {target} idle desktop streams ({path}): {mib:.1} MiB");
        metric(
            &format!("relay RSS, {target} idle streams ({path})"),
            format!("{mib:.1}"),
            "MiB",
            if target == 10_000 && path.starts_with("lean") {
                "< 100"
            } else {
                "-"
            },
        );
    }
}

async fn last_seq(client: &DesktopClient) -> u64 {
    let mut after = 0;
    loop {
        let page = client
            .catch_up(Some(after), Some(1000))
            .await
            .expect("page");
        if let Some(e) = page.events.last() {
            after = e.seq();
        }
        if !page.more {
            return after;
        }
    }
}

fn body(id: u64) -> Vec<u8> {
    let id_text = id.to_string();
    let payment_id = format!("{id:0>12}");
    let trading = format!("ORDER-{id}");
    paygent_codec::encode_notification(
        &[
            ("payment_notice_id", &id_text),
            ("change_date", "20260115120000"),
            ("payment_id", &payment_id),
            ("trading_id", &trading),
            ("payment_type", "02"),
            ("payment_status", "40"),
            ("payment_amount", "3980"),
        ],
        &HashKey::new(KEY),
    )
    .expect("encodes")
}

async fn open_idle_stream(addr: SocketAddr, token: &str, n: usize) -> TcpStream {
    let from = format!("127.1.{}.{}", n / 250, 1 + n % 250);
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from.parse().expect("ip"), 0))
        .expect("bind");
    let mut tcp = socket.connect(addr).await.expect("connect");
    let request = format!(
        "GET /v1/stream HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\nLast-Event-ID: {}\r\n\r\n",
        u64::MAX >> 1
    );
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tcp.read(&mut buf).await.expect("read");
        assert!(n > 0, "stream closed");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(
        seen.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    tcp
}

/// A keep-alive HTTP/1.1 connection that posts form bodies.
struct RawConn {
    reader: TokioBufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl RawConn {
    async fn connect(addr: SocketAddr) -> RawConn {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let (r, w) = tcp.into_split();
        RawConn {
            reader: TokioBufReader::new(r),
            writer: w,
        }
    }

    async fn post(&mut self, path: &str, body: &[u8]) -> (u16, String) {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.writer.write_all(&request).await.expect("write");
        let mut status = 0;
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).await.expect("read");
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some(rest) = trimmed.strip_prefix("HTTP/1.1 ") {
                status = rest[..3].parse().expect("status");
            } else if let Some((name, value)) = trimmed.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("length");
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

/// One machine-readable figure for `cargo xtask bench`'s table.
fn metric(name: &str, value: String, unit: &str, target: &str) {
    println!("METRIC\t{name}\t{value}\t{unit}\t{target}");
}
