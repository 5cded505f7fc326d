//! Running the relay on a bound listener: plain HTTP or TLS (rustls), graceful shutdown,
//! the retention timer.

use std::{future::Future, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use axum::{
    extract::connect_info::Connected,
    serve::{IncomingStream, Listener},
};
use tokio::{net::TcpListener, net::TcpStream, sync::mpsc, task::JoinHandle};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    },
    server::TlsStream,
};

use crate::{
    raw_stream,
    server::{PeerAddr, Relay, RelayError},
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

/// Time a client gets to finish the TLS handshake or send its first bytes.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections ready for axum, handed over by a background accept loop. The loop runs
/// TLS handshakes (or, on plain TCP, the peek that routes streams to the lean path) in
/// per-connection tasks, so one slow client cannot hold up accepting the others.
struct ChannelListener<Io> {
    ready: mpsc::Receiver<(Io, SocketAddr)>,
    local: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl<Io> Drop for ChannelListener<Io> {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl<Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Listener
    for ChannelListener<Io>
{
    type Io = Io;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

impl Connected<IncomingStream<'_, ChannelListener<TcpStream>>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, ChannelListener<TcpStream>>) -> Self {
        PeerAddr::from_stream(&stream)
    }
}

impl Connected<IncomingStream<'_, ChannelListener<TlsStream<TcpStream>>>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, ChannelListener<TlsStream<TcpStream>>>) -> Self {
        PeerAddr::from_stream(&stream)
    }
}

/// Accepts forever; `prepare` turns each TCP connection into one for axum (or serves it
/// itself and returns `None`).
fn channel_listener<Io, F, Fut>(
    tcp: TcpListener,
    prepare: F,
) -> std::io::Result<ChannelListener<Io>>
where
    Io: Send + 'static,
    F: Fn(TcpStream, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Io>> + Send + 'static,
{
    let local = tcp.local_addr()?;
    let (tx, ready) = mpsc::channel(256);
    let prepare = Arc::new(prepare);
    let accept_task = tokio::spawn(async move {
        loop {
            let (stream, peer) = match tcp.accept().await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    // Out of file descriptors and the like: back off briefly.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // SSE events are small writes that must leave at once.
            let _ = stream.set_nodelay(true);
            let (prepare, tx) = (prepare.clone(), tx.clone());
            tokio::spawn(async move {
                if let Some(io) = prepare(stream, peer).await {
                    let _ = tx.send((io, peer)).await;
                }
            });
        }
    });
    Ok(ChannelListener {
        ready,
        local,
        accept_task,
    })
}

/// Plain TCP: streams go to the lean path, everything else to axum.
fn plain_listener(tcp: TcpListener, relay: Relay) -> std::io::Result<ChannelListener<TcpStream>> {
    channel_listener(tcp, move |stream: TcpStream, peer| {
        let relay = relay.clone();
        async move {
            let mut first = [0u8; raw_stream::PREFIX.len()];
            let peeked = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await;
            match peeked {
                Ok(Ok(n)) if n == first.len() && first == raw_stream::PREFIX => {
                    raw_stream::serve_stream(relay, stream, peer).await;
                    None
                }
                Ok(Ok(n)) if n > 0 => Some(stream),
                _ => None,
            }
        }
    })
}

fn tls_listener(
    tcp: TcpListener,
    tls: Tls,
) -> std::io::Result<ChannelListener<TlsStream<TcpStream>>> {
    let acceptor = TlsAcceptor::from(tls.0);
    channel_listener(tcp, move |stream: TcpStream, peer| {
        let acceptor = acceptor.clone();
        async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => Some(tls),
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    None
                }
            }
        }
    })
}

/// Serves the relay on `listener` until `shutdown` completes, then closes the streams and
/// waits for in-flight requests. Runs retention every `prune_every`.
pub async fn serve(
    listener: TcpListener,
    relay: Relay,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RelayError> {
    let app = relay
        .router()
        .into_make_service_with_connect_info::<PeerAddr>();
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
    let closing = relay.clone();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down");
        closing.close_streams();
    };
    let result = match tls {
        None => {
            axum::serve(plain_listener(listener, relay.clone())?, app)
                .with_graceful_shutdown(signal)
                .await
        }
        Some(tls) => {
            axum::serve(tls_listener(listener, tls)?, app)
                .with_graceful_shutdown(signal)
                .await
        }
    };
    retention.abort();
    result.map_err(RelayError::Io)
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
