//! The Paygent "module type" wire protocol, without I/O.
//!
//! Layout: [`kind`] names the telegrams and their paths and charsets; [`form`] turns
//! parameters into the exact form body the official client sends (and back, for the
//! simulator); [`request`] holds the typed requests PayDesk sends; [`response`] parses
//! key=value bodies ([`csv`] the CSV reference bodies) into a [`RawResponse`] and then into
//! typed responses, and also writes bodies for the simulator; [`notification`] parses and
//! builds payment notifications and checks their `hc` (leniently, as strings, for a
//! receiver that must never refuse a record, or typed); [`hash`] holds every SHA-256 check
//! value of the protocol; [`dictionary`] explains every error code in plain Japanese and
//! English. [`Yen`], [`Secret`] (PayDesk's one secret type, `secrets::Sensitive<String>`),
//! [`PaymentStatus`] and [`PaymentType`] are the shared value types.
//!
//! Invariants: this crate never touches the network, a clock or the file system; a
//! [`Secret`] never reaches a `Debug`/`Display` output; no parser panics on any input
//! (the fuzz targets in `fuzz/` check that); error messages never quote a raw body.
//!
//! ```
//! use paygent_codec::request::{CardCapture, PaymentRef};
//! use paygent_codec::{CommonHeader, ResponseWriter, ResultStatus, Secret, Telegram, TelegramKind};
//! use paygent_codec::{encode_request, parse_response};
//!
//! let header = CommonHeader::new("00000", "test_connect", Secret::new("test_password"));
//! let capture = CardCapture::new(PaymentRef::by_payment_id("1000000000000005"));
//! let request = encode_request(&header, &capture).unwrap();
//! assert_eq!(request.path, "/n/card/request");
//! assert!(request.body.starts_with(b"merchant_id=00000&connect_id=test_connect&"));
//!
//! // What the gateway (or the simulator) answers, and how it is read.
//! let body = ResponseWriter::new(TelegramKind::CardCapture, ResultStatus::Success)
//!     .item("payment_id", "1000000000000005")
//!     .encode()
//!     .unwrap();
//! let raw = parse_response(CardCapture::KIND, 200, &body).unwrap();
//! let done = <CardCapture as Telegram>::Response::try_from(raw).unwrap();
//! assert_eq!(done.payment_id, "1000000000000005");
//! ```

pub mod csv;
pub mod dictionary;
pub mod form;
pub mod hash;
pub mod kind;
pub mod money;
pub mod notification;
pub mod request;
pub mod response;
pub mod secret;
pub mod status;

pub use csv::{CsvError, CsvTable, encode_csv_response, parse_csv};
pub use dictionary::{Category, ErrorContext, Explanation, explain, explain_with_detail};
pub use form::{Charset, EncodeError, FormError, HttpLayout, decode_form, encode_form};
pub use kind::TelegramKind;
pub use money::Yen;
pub use notification::{
    Notification, NotificationError, NotificationFields, encode_notification, parse_notification,
    parse_notification_fields, verify_hc, verify_hc_fields,
};
pub use request::{CommonHeader, EncodedRequest, Telegram, encode_request};
pub use response::{
    GatewayError, RawResponse, ResponseError, ResponseWriter, ResultStatus, encode_response,
    encode_response_with_charset, parse_response,
};
pub use secret::Secret;
pub use status::{PaymentStatus, PaymentType};
