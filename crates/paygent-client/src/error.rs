//! Client errors, split by what the caller must do next.

use paygent_codec::dictionary::{ErrorContext, Explanation, explain};
use paygent_codec::{EncodeError, GatewayError, ResponseError};
use thiserror::Error;

/// Why a telegram did not produce a typed response. Messages never contain the connect
/// password, key passphrase, card tokens or the raw request/response body.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The gateway answered `result=1`: a business error with its code.
    #[error("{0}")]
    Gateway(GatewayError),
    /// No answer within the timeout after the request may have been sent. The telegram
    /// may or may not have been processed: reconcile with a 094 payment inquiry before
    /// doing anything else; never resend blindly.
    #[error("Paygent did not answer within the timeout; the outcome is unknown")]
    Timeout,
    /// The connection could not be made (DNS, refused, proxy, connect timeout): nothing
    /// was sent, so sending again is safe.
    #[error("could not connect to Paygent: {0}")]
    Connect(String),
    /// The TLS handshake failed: client certificate, CA or server certificate problem.
    #[error("TLS handshake with Paygent failed (certificate problem): {0}")]
    Tls(String),
    /// The connection broke after the request was sent: outcome unknown, like
    /// [`ClientError::Timeout`].
    #[error("the connection to Paygent broke after sending; the outcome is unknown: {0}")]
    ConnectionLost(String),
    /// The answer could not be parsed (also non-2xx statuses).
    #[error("malformed answer from Paygent: {0}")]
    MalformedResponse(ResponseError),
    /// A request value cannot be encoded (e.g. a character Windows-31J lacks).
    #[error("request cannot be encoded: {0}")]
    Encode(#[from] EncodeError),
    /// The configuration is unusable (certificate file, passphrase, CA, proxy URL).
    #[error("invalid Paygent client settings: {0}")]
    Config(String),
}

impl From<ResponseError> for ClientError {
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Gateway(g) => ClientError::Gateway(g),
            other => ClientError::MalformedResponse(other),
        }
    }
}

impl ClientError {
    /// The telegram may have been processed although no answer arrived: the caller must
    /// reconcile with a 094 payment inquiry.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, ClientError::Timeout | ClientError::ConnectionLost(_))
    }

    /// Nothing reached the gateway, so sending the same telegram again is safe.
    pub fn safe_to_resend(&self) -> bool {
        matches!(self, ClientError::Connect(_))
    }

    /// The dictionary explanation: the gateway's code, or the official module's code for
    /// the same situation (E02006 timeout, E02005 connection, E02004 certificate, E01901
    /// malformed answer, E02002 encoding, E01002 settings).
    pub fn explain(&self, context: ErrorContext) -> Explanation {
        match self {
            ClientError::Gateway(g) => g.explain(context),
            ClientError::Timeout | ClientError::ConnectionLost(_) => explain("E02006", context),
            ClientError::Connect(_) => explain("E02005", context),
            ClientError::Tls(_) => explain("E02004", context),
            ClientError::MalformedResponse(ResponseError::HttpStatus { .. }) => {
                explain("E02005", context)
            }
            ClientError::MalformedResponse(_) => explain("E01901", context),
            ClientError::Encode(_) => explain("E02002", context),
            ClientError::Config(_) => explain("E01002", context),
        }
    }
}
