//! The telegram listener: HTTP/1.x (1.0 as the official modules speak it) over mutual TLS
//! or plain TCP, one request at a time per connection.
//!
//! Per request: method check, body limit (P009 over the rules' limit), form decoding in
//! the kind's charset (P008 when the bytes are not valid), injected faults, then the
//! ledger's `handle_telegram`, then the reply in Paygent's layout. Nothing here panics on
//! input; a connection is dropped only for a "timeout" or "commit then drop" fault.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method as HttpMethod, Request, Response, StatusCode};
use paygent_codec::form::{Charset, decode_form};
use paygent_codec::kind::charset_for_code;
use tokio::sync::watch;

use crate::faults::Fault;
use crate::ledger::EventDetail;
use crate::ledger::Processing;
use crate::sim::Simulator;
use crate::telegram::{TelegramReply, TelegramRequest, header_refusal};
use crate::wire::{content_type, encode_reply};

/// Returned instead of a response to close the connection without answering.
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

type Reply = Result<Response<Full<Bytes>>, DropConnection>;

fn reply(telegram: &TelegramReply) -> Response<Full<Bytes>> {
    let body = encode_reply(telegram);
    Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", content_type(telegram.charset))
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn plain_status(status: StatusCode) -> Response<Full<Bytes>> {
    let text = format!("<html><body><h1>{status}</h1></body></html>");
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
}

/// The value of `key` in a form body, decoded as ASCII (used to find `telegram_kind`
/// before the charset is known).
fn ascii_field(body: &[u8], key: &str) -> Option<String> {
    body.split(|&b| b == b'&').find_map(|segment| {
        let rest = segment.strip_prefix(key.as_bytes())?.strip_prefix(b"=")?;
        let pairs =
            decode_form(&[key.as_bytes(), b"=", rest].concat(), Charset::Windows31J).ok()?;
        pairs.into_iter().next().map(|(_, v)| v)
    })
}

fn log_unprocessed(
    sim: &Simulator,
    kind: &str,
    merchant: &str,
    payment_id: Option<String>,
    code: &str,
    fault: Option<String>,
) {
    sim.update(|ledger, now, _| {
        ledger.log(
            now,
            EventDetail::Telegram {
                kind: kind.into(),
                merchant_id: merchant.into(),
                payment_id,
                new_payment_id: None,
                result: if code.is_empty() {
                    String::new()
                } else {
                    "1".into()
                },
                response_code: code.into(),
                response_detail: String::new(),
                fault,
                processed: false,
            },
        );
    });
}

/// Handles one HTTP request on the telegram listener.
pub async fn handle(
    sim: Simulator,
    req: Request<Incoming>,
    peer: SocketAddr,
    shutdown: watch::Receiver<bool>,
) -> Reply {
    if req.method() != HttpMethod::POST {
        return Ok(plain_status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let path = req.uri().path().to_owned();
    let limit = sim.rules().max_telegram_bytes;
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        log_unprocessed(&sim, "", "", None, "P009", None);
        Ok(reply(&header_refusal(
            "",
            "P009",
            "電文長が上限を超えています。",
        )))
    };
    if declared.is_some_and(|len| len > limit) {
        return too_large();
    }
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return too_large(),
    };
    let kind = ascii_field(&body, "telegram_kind").unwrap_or_default();
    let charset = charset_for_code(&kind);
    let params = match decode_form(&body, charset) {
        Ok(params) => params,
        Err(_) => {
            let merchant = ascii_field(&body, "merchant_id").unwrap_or_default();
            log_unprocessed(&sim, &kind, &merchant, None, "P008", None);
            return Ok(reply(&header_refusal(
                &kind,
                "P008",
                "文字コードまたはURLエンコードが不正です。",
            )));
        }
    };
    let get = |k: &str| {
        params
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    let merchant = get("merchant_id").unwrap_or_default();
    let payment_id = get("payment_id").filter(|v| !v.is_empty());

    // 091 without an id may not run twice at once for a merchant (9004); the flag is
    // held for the whole request, injected latency included.
    let exclusive_inquiry = kind == "091" && get("payment_notice_id").is_none_or(|v| v.is_empty());
    if exclusive_inquiry && !sim.begin_inquiry(&merchant) {
        log_unprocessed(&sim, &kind, &merchant, None, "9004", None);
        return Ok(reply(&header_refusal(&kind, "9004", "")));
    }
    // A telegram received in full is carried out even when its client hangs up before the
    // answer (a timeout, a killed app), as a real gateway does: the work runs in its own
    // task, which dropping this request's future does not cancel. This is the window in
    // which an inquiry may not yet see a telegram that will still be applied.
    let task = tokio::spawn(async move {
        // Released when the work ends: a lost flag would answer 9004 to that merchant forever.
        let _flag = exclusive_inquiry.then(|| InquiryFlag {
            sim: sim.clone(),
            merchant: merchant.clone(),
        });
        process(
            &sim, &path, &kind, &merchant, payment_id, &params, peer, shutdown,
        )
        .await
    });
    task.await.unwrap_or(Err(DropConnection))
}

/// The merchant's "091 in progress" flag, released on drop.
struct InquiryFlag {
    sim: Simulator,
    merchant: String,
}

impl Drop for InquiryFlag {
    fn drop(&mut self) {
        self.sim.end_inquiry(&self.merchant);
    }
}

#[allow(clippy::too_many_arguments)]
async fn process(
    sim: &Simulator,
    path: &str,
    kind: &str,
    merchant: &str,
    payment_id: Option<String>,
    params: &[(String, String)],
    peer: SocketAddr,
    shutdown: watch::Receiver<bool>,
) -> Reply {
    let fired = sim.faults().take(kind, payment_id.as_deref());
    let fault_names = (!fired.names.is_empty()).then(|| fired.names.join(","));
    if fired.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(fired.latency_ms)).await;
    }
    match &fired.action {
        Some(Fault::HttpStatus(status)) => {
            log_unprocessed(sim, kind, merchant, payment_id, "", fault_names);
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return Ok(plain_status(status));
        }
        Some(Fault::Timeout) => {
            log_unprocessed(sim, kind, merchant, payment_id, "", fault_names);
            let mut shutdown = shutdown;
            tokio::select! {
                () = tokio::time::sleep(sim.rules().fault_timeout_hold) => {}
                _ = shutdown.changed() => {}
            }
            return Err(DropConnection);
        }
        Some(Fault::Busy9004) => {
            log_unprocessed(sim, kind, merchant, payment_id, "9004", fault_names);
            return Ok(reply(&header_refusal(kind, "9004", "")));
        }
        Some(Fault::ResponseCode(code)) => {
            log_unprocessed(sim, kind, merchant, payment_id, code, fault_names);
            return Ok(reply(&header_refusal(kind, code, "")));
        }
        Some(
            Fault::CommitThenDrop
            | Fault::LatencyMs(_)
            | Fault::Processing
            | Fault::ProcessingSettling,
        )
        | None => {}
    }
    let processing = match fired.action {
        Some(Fault::Processing) => Some(Processing::Parked),
        Some(Fault::ProcessingSettling) => Some(Processing::Settling),
        _ => None,
    };
    let telegram = TelegramRequest {
        path,
        params,
        peer_ip: Some(peer.ip()),
        fault: fault_names,
        processing,
    };
    let answer = sim.update(|ledger, now, rules| ledger.handle_telegram(now, rules, &telegram));
    if fired.action == Some(Fault::CommitThenDrop) {
        return Err(DropConnection);
    }
    Ok(reply(&answer))
}

/// Serves one accepted connection until it closes.
pub async fn serve_connection<S>(
    sim: Simulator,
    io: S,
    peer: SocketAddr,
    shutdown: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let sim = sim.clone();
        let shutdown = shutdown.clone();
        async move { handle(sim, req, peer, shutdown).await }
    });
    let io = hyper_util::rt::TokioIo::new(io);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}
