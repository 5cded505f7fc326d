//! Running the relay on a bound listener: plain HTTP or TLS (rustls), graceful shutdown,
//! the retention timer.

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::ConnectInfo,
    http::{HeaderValue, Request, Response, StatusCode, header},
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, net::TcpStream, sync::mpsc};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    },
};

use crate::{
    gate::{self, Gate, Slot},
    raw_stream,
    server::{ConnSlot, PeerAddr, Relay, RelayError},
};

/// A TLS server configuration (certificate chain and key).
#[derive(Clone)]
pub struct Tls(Arc<rustls::ServerConfig>);

impl Tls {
    /// Loads a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Tls, RelayError> {
        let certs = CertificateDer::pem_file_iter(cert)
            .map_err(|e| RelayError::Tls(format!("certificate file {}: {e}", cert.display())))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RelayError::Tls(format!("certificate file {}: {e}", cert.display())))?;
        // The key's own error text could quote key material; name the file only.
        let key = PrivateKeyDer::from_pem_file(key).map_err(|_| {
            RelayError::Tls(format!("cannot read a private key from {}", key.display()))
        })?;
        Self::from_parts(certs, key)
    }

    /// From DER parts (tests build these in memory).
    pub fn from_parts(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Tls, RelayError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| RelayError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| RelayError::Tls(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls(Arc::new(config)))
    }
}

/// Serves the relay on `listener` until `shutdown` completes, then closes the streams and
/// waits for in-flight requests. Runs retention every `prune_every`.
///
/// One accept loop admits each connection through the `Gate` (the connection caps), then
/// serves it in its own task: TLS handshake (or, on plain TCP, a peek that routes desktop
/// streams to the lean path), then hyper's HTTP/1.1 with the head deadline (hyper's
/// `header_read_timeout`, which needs a timer) and the body deadline around each request.
pub async fn serve(
    listener: TcpListener,
    relay: Relay,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RelayError> {
    let limits = relay.config().limits.clone();
    let max_connections = gate::effective_max_connections(limits.max_connections);
    if max_connections < limits.max_connections {
        tracing::warn!(
            configured = limits.max_connections,
            in_effect = max_connections,
            "max_connections lowered to fit the open-files limit"
        );
    }
    let gate = Gate::new(
        max_connections,
        limits.max_connections_per_ip,
        relay.config().trusted_proxies.clone(),
    );
    let retention = {
        let relay = relay.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(relay.config().prune_every);
            loop {
                every.tick().await;
                if let Err(e) = relay.prune_expired().await {
                    tracing::error!(error = %e, "retention failed");
                }
            }
        })
    };
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_buf_size(limits.max_head_bytes.max(8192))
        .keep_alive(true);
    let acceptor = tls.map(|tls| TlsAcceptor::from(tls.0));
    let router = relay.router();
    // Every connection task holds a sender; when all are gone, `in_flight.recv()` ends.
    let (alive, mut in_flight) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (tcp, peer) = match accepted {
            Ok(conn) => {
                backoff = Duration::from_millis(10);
                conn
            }
            Err(e) => {
                use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, PermissionDenied};
                // Out of file descriptors: close the oldest unauthenticated connections to
                // get some back. Established connections keep being served meanwhile.
                let freed = if out_of_descriptors(&e) {
                    gate.evict_oldest(16)
                } else {
                    0
                };
                if let Some(held) = relay.warnings().allow("accept failed") {
                    tracing::warn!(error = %e, freed, suppressed = held, open = gate.open(), "accept failed");
                }
                if freed > 0
                    || matches!(
                        e.kind(),
                        ConnectionAborted | ConnectionReset | PermissionDenied
                    )
                {
                    // That one connection's trouble, or room was made: go on at once.
                    tokio::task::yield_now().await;
                } else {
                    // Nothing to free (out of memory or buffers): wait a little.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
                continue;
            }
        };
        let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
        let admission = gate.admit(peer.ip());
        if admission.evicted > 0
            && let Some(held) = relay.warnings().allow("connection evicted")
        {
            tracing::warn!(remote_ip = %peer.ip(), evicted = admission.evicted, suppressed = held, open = gate.open(), "connection cap reached: oldest unauthenticated connections closed");
        }
        let Some(slot) = admission.slot else {
            if let Some(held) = relay.warnings().allow("connection refused") {
                tracing::warn!(remote_ip = %peer.ip(), suppressed = held, "connection cap reached by desktops: new connection closed");
            }
            continue;
        };
        // SSE events are small writes that must leave at once.
        let _ = tcp.set_nodelay(true);
        let conn = Connection {
            relay: relay.clone(),
            router: router.clone(),
            http: http.clone(),
            peer,
            slot,
            _alive: alive.clone(),
        };
        let acceptor = acceptor.clone();
        // Each branch boxed: a task's future is as large as its largest branch, and the TLS
        // one (handshake state, hyper's connection) must not weigh on every plain stream.
        tokio::spawn(async move {
            match acceptor {
                None => Box::pin(conn.serve_plain(tcp)).await,
                Some(acceptor) => Box::pin(conn.serve_tls(acceptor, tcp)).await,
            }
        });
    }
    tracing::info!("shutting down");
    relay.close_streams();
    drop(listener);
    drop(alive);
    let _ = in_flight.recv().await;
    retention.abort();
    Ok(())
}

/// EMFILE or ENFILE (23 and 24 on Linux, macOS and the BSDs alike).
fn out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// One admitted connection and what serving it needs.
struct Connection {
    relay: Relay,
    router: Router,
    http: http1::Builder,
    peer: SocketAddr,
    slot: Slot,
    _alive: mpsc::Sender<()>,
}

impl Connection {
    async fn serve_plain(self, tcp: TcpStream) {
        let deadline = self.relay.config().limits.head_timeout;
        let mut first = [0u8; raw_stream::PREFIX.len()];
        let mut closing = self.relay.closing();
        let peeked = tokio::select! {
            peeked = tokio::time::timeout(deadline, tcp.peek(&mut first)) => peeked,
            () = self.slot.evicted() => return,
            _ = closing.wait_for(|c| *c) => return,
        };
        match peeked {
            // A request that starts with the stream's request line in its first segment goes
            // to the lean path; anything else (even a stream split oddly) to hyper.
            Ok(Ok(n))
                if n == first.len()
                    && first == raw_stream::PREFIX
                    && self.relay.config().lean_streams =>
            {
                // Boxed, and without what only hyper needs: an idle stream's task is what
                // 10,000 desktops cost (this future's size is the larger of its branches).
                let Connection {
                    relay,
                    router,
                    http,
                    peer,
                    slot,
                    _alive,
                } = self;
                drop((router, http));
                Box::pin(raw_stream::serve_stream(relay, tcp, peer, slot)).await;
                drop(_alive);
            }
            Ok(Ok(n)) if n > 0 => Box::pin(self.serve_http(tcp)).await,
            _ => {}
        }
    }

    async fn serve_tls(self, acceptor: TlsAcceptor, tcp: TcpStream) {
        let deadline = self.relay.config().limits.head_timeout;
        let mut closing = self.relay.closing();
        let handshake = tokio::select! {
            handshake = tokio::time::timeout(deadline, acceptor.accept(tcp)) => handshake,
            () = self.slot.evicted() => return,
            _ = closing.wait_for(|c| *c) => return,
        };
        match handshake {
            Ok(Ok(tls)) => self.serve_http(tls).await,
            Ok(Err(e)) => tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
        }
    }

    async fn serve_http<Io>(self, io: Io)
    where
        Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            relay,
            router,
            http,
            peer,
            slot,
            _alive,
        } = self;
        let slot = Arc::new(slot);
        let body_timeout = relay.config().limits.body_timeout;
        let conn_slot = slot.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(PeerAddr(peer)));
            request.extensions_mut().insert(ConnSlot(conn_slot.clone()));
            let streaming = request.uri().path() == "/v1/stream";
            let mut router = router.clone();
            let slot = conn_slot.clone();
            async move {
                let answer = tower_service::Service::call(&mut router, request);
                if streaming {
                    // Its head is answered at once; the body is the stream itself.
                    return answer.await;
                }
                // A connection whose head arrived is evicted only after idle ones.
                slot.busy(true);
                let answer = match tokio::time::timeout(body_timeout, answer).await {
                    Ok(response) => response,
                    Err(_) => Ok(request_timeout()),
                };
                slot.busy(false);
                answer
            }
        });
        let mut closing = relay.closing();
        let conn = http.serve_connection(TokioIo::new(io), service);
        let mut conn = std::pin::pin!(conn);
        let mut draining = false;
        loop {
            tokio::select! {
                _ = conn.as_mut() => return,
                () = slot.evicted() => return,
                changed = closing.changed(), if !draining => {
                    if changed.is_err() || *closing.borrow() {
                        draining = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// The answer when a request's body or handling outlasts `body_timeout`.
fn request_timeout() -> Response<axum::body::Body> {
    let mut response = Response::new(axum::body::Body::from("result=1"));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Raises the open-files limit to the hard limit (each desktop stream holds a socket).
pub fn raise_open_files_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            0
        }
    }
}
