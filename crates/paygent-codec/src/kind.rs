//! Telegram kinds (電文種別ID), their URL paths (§1.2 lookup rule) and charsets (§1.1).

use std::fmt;

use crate::form::Charset;

/// The telegram kinds PayDesk sends, plus 030 and 450, which the captured vectors use
/// (030 shows the half-width kana conversion, 450 the UTF-8 charset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TelegramKind {
    /// 020 card authorization (authorize-only or authorize-and-capture via `sales_mode`).
    CardAuthorize,
    /// 021 card authorization cancel (void).
    CardAuthorizeCancel,
    /// 022 card capture (full authorized amount).
    CardCapture,
    /// 023 card capture cancel (full refund).
    CardCaptureCancel,
    /// 025 stored card: register.
    StoredCardRegister,
    /// 026 stored card: delete.
    StoredCardDelete,
    /// 027 stored card: inquiry (CSV response).
    StoredCardInquiry,
    /// 028 revised authorization (amount change before capture).
    CardRevisedAuthorize,
    /// 029 revised capture (amount change after capture, e.g. partial refund).
    CardRevisedCapture,
    /// 030 convenience-store payment (number method). Not used by PayDesk; kept for the
    /// kana-conversion vector.
    ConvenienceStoreNumber,
    /// 091 difference inquiry (next payment notification record).
    DifferenceInquiry,
    /// 094 payment inquiry.
    PaymentInquiry,
    /// 340 Paidy authorization cancel.
    PaidyAuthorizeCancel,
    /// 341 Paidy capture.
    PaidyCapture,
    /// 342 Paidy refund (full without `amount`, partial with it).
    PaidyRefund,
    /// 343 Paidy verify (Paidy retrieve).
    PaidyVerify,
    /// 450 EMV 3-D Secure authentication (UTF-8). Not used by PayDesk; kept for the UTF-8
    /// vector.
    ThreeDSecureAuthenticate,
}

impl TelegramKind {
    /// Every kind, for tables and tests.
    pub const ALL: [TelegramKind; 17] = [
        TelegramKind::CardAuthorize,
        TelegramKind::CardAuthorizeCancel,
        TelegramKind::CardCapture,
        TelegramKind::CardCaptureCancel,
        TelegramKind::StoredCardRegister,
        TelegramKind::StoredCardDelete,
        TelegramKind::StoredCardInquiry,
        TelegramKind::CardRevisedAuthorize,
        TelegramKind::CardRevisedCapture,
        TelegramKind::ConvenienceStoreNumber,
        TelegramKind::DifferenceInquiry,
        TelegramKind::PaymentInquiry,
        TelegramKind::PaidyAuthorizeCancel,
        TelegramKind::PaidyCapture,
        TelegramKind::PaidyRefund,
        TelegramKind::PaidyVerify,
        TelegramKind::ThreeDSecureAuthenticate,
    ];

    /// The three-digit code sent as `telegram_kind`.
    pub fn code(self) -> &'static str {
        match self {
            TelegramKind::CardAuthorize => "020",
            TelegramKind::CardAuthorizeCancel => "021",
            TelegramKind::CardCapture => "022",
            TelegramKind::CardCaptureCancel => "023",
            TelegramKind::StoredCardRegister => "025",
            TelegramKind::StoredCardDelete => "026",
            TelegramKind::StoredCardInquiry => "027",
            TelegramKind::CardRevisedAuthorize => "028",
            TelegramKind::CardRevisedCapture => "029",
            TelegramKind::ConvenienceStoreNumber => "030",
            TelegramKind::DifferenceInquiry => "091",
            TelegramKind::PaymentInquiry => "094",
            TelegramKind::PaidyAuthorizeCancel => "340",
            TelegramKind::PaidyCapture => "341",
            TelegramKind::PaidyRefund => "342",
            TelegramKind::PaidyVerify => "343",
            TelegramKind::ThreeDSecureAuthenticate => "450",
        }
    }

    /// The kind for a `telegram_kind` value, if it is one this crate knows.
    pub fn from_code(code: &str) -> Option<TelegramKind> {
        TelegramKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The URL path, found with the official module's rule (§1.2).
    pub fn path(self) -> &'static str {
        // Every kind in ALL has a table entry; the unit test below proves it.
        path_for_code(self.code()).unwrap_or("/n/card/request")
    }

    /// The request and response charset (§1.1).
    pub fn charset(self) -> Charset {
        charset_for_code(self.code())
    }

    /// Whether the response is a CSV "reference" body (§3.2) rather than key=value lines.
    pub fn has_csv_response(self) -> bool {
        matches!(self, TelegramKind::StoredCardInquiry)
    }

    /// Whether the official module appends `limit_count=<select_max_cnt>` (kinds 027 and
    /// 090). PayDesk appends `limit_count=2000` too, so its bodies match the module's.
    pub fn appends_limit_count(self) -> bool {
        matches!(self, TelegramKind::StoredCardInquiry)
    }
}

impl fmt::Display for TelegramKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The official properties' `url.<key>` table (§1.2), key → path.
const PATHS: &[(&str, &str)] = &[
    ("01", "/n/atm/request"),
    ("02", "/n/card/request"),
    ("11", "/n/card/request"),
    ("18", "/n/card/request"),
    ("19", "/n/card/request"),
    ("28", "/n/card/request"),
    ("49", "/n/card/request"),
    ("096", "/n/card/request"),
    ("03", "/n/conveni/request"),
    ("04", "/n/conveni/request_print"),
    ("05", "/n/bank/request"),
    ("06", "/n/bank/requestasp"),
    ("07", "/n/virtualaccount/request"),
    ("09", "/n/ref/request"),
    ("091", "/n/ref/paynotice"),
    ("093", "/n/ref/runnotice"),
    ("094", "/n/ref/paymentref"),
    ("095", "/n/ref/cardnoref"),
    ("099", "/n/ref/paymentcharge"),
    ("10", "/n/c/request"),
    ("12", "/n/c/request"),
    ("13", "/n/paypal/request"),
    ("15", "/n/emoney/request"),
    ("20", "/n/o/requestdata"),
    ("22", "/n/later/request"),
    ("26", "/n/accounttransfer/request"),
    ("263", "/n/accounttransfer/receipt"),
    ("264", "/n/accounttransfer/receipt"),
    ("265", "/n/accounttransfer/receipt"),
    ("27", "/n/rakutenid/request"),
    ("29", "/n/jcbpremo/request"),
    ("30", "/n/upop/request"),
    ("31", "/n/alipay/request"),
    ("32", "/n/applepay/request"),
    ("34", "/n/paidy/request"),
    ("35", "/n/googlepay/request"),
    ("38", "/n/illegal_detect/request"),
    ("41", "/n/pi/request"),
    ("42", "/n/paypay/request"),
    ("43", "/n/tokimekiPoint/request"),
    ("45", "/n/threeds/request"),
    ("46", "/n/moneyforwardkessai/request"),
    ("50", "/n/moneyforwardkessai/request"),
    ("098", "/n/token/request"),
];

/// The path for any telegram kind code: `url.<full kind>`, else `url.<first 2 chars>`,
/// else `None` (the module's E02003).
pub fn path_for_code(code: &str) -> Option<&'static str> {
    let lookup = |key: &str| PATHS.iter().find(|(k, _)| *k == key).map(|(_, p)| *p);
    lookup(code).or_else(|| code.get(..2).and_then(lookup))
}

/// The charset for any telegram kind code: UTF-8 for `098, 380, 410–418, 450`, else
/// Windows-31J (§1.1).
pub fn charset_for_code(code: &str) -> Charset {
    match code {
        "098" | "380" | "410" | "411" | "412" | "413" | "414" | "415" | "416" | "417" | "418"
        | "450" => Charset::Utf8,
        _ => Charset::Windows31J,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_path_and_round_trips_its_code() {
        for kind in TelegramKind::ALL {
            assert!(path_for_code(kind.code()).is_some(), "{kind}");
            assert_eq!(TelegramKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(path_for_code("999"), None);
        assert_eq!(path_for_code(""), None);
    }
}
