//! `serve`: the gateway listener, the control listener, the ticker and the snapshot
//! writer, until the shutdown future completes.

use std::future::Future;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::gateway::serve_connection;
use crate::sim::Simulator;
use crate::tls::TlsConfig;

/// Runs the simulator on bound listeners until `shutdown` completes, then writes the
/// snapshot (if the simulator has a state file). `tls = None` serves plain HTTP.
pub async fn serve(
    gateway_listener: TcpListener,
    control_listener: TcpListener,
    sim: Simulator,
    tls: Option<TlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let acceptor = tls.map(|t| TlsAcceptor::from(t.server_config));

    let gateway = {
        let sim = sim.clone();
        let mut stop = stop_rx.clone();
        let conn_stop_rx = stop_rx.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = gateway_listener.accept() => accepted,
                    _ = stop.changed() => break,
                };
                let Ok((stream, peer)) = accepted else {
                    continue;
                };
                let sim = sim.clone();
                let acceptor = acceptor.clone();
                let conn_stop = conn_stop_rx.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    match acceptor {
                        // A client without a valid certificate fails the handshake, as at Paygent.
                        Some(acceptor) => {
                            if let Ok(tls_stream) = acceptor.accept(stream).await {
                                serve_connection(sim, tls_stream, peer, conn_stop).await;
                            }
                        }
                        None => serve_connection(sim, stream, peer, conn_stop).await,
                    }
                });
            }
        })
    };

    let control = {
        let router = crate::control::router(sim.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _ = axum::serve(control_listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await;
        })
    };

    let ticker = sim.tick_interval().map(|interval| {
        let sim = sim.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut timer = tokio::time::interval(interval);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = timer.tick() => {
                        sim.run_due_work().await;
                        if let Err(e) = sim.save_if_dirty() {
                            tracing::warn!(error = %e, "snapshot not written");
                        }
                    }
                    _ = stop.changed() => break,
                }
            }
        })
    });

    shutdown.await;
    let _ = stop_tx.send(true);
    let _ = gateway.await;
    let _ = control.await;
    if let Some(ticker) = ticker {
        let _ = ticker.await;
    }
    sim.save().map_err(std::io::Error::other)
}
