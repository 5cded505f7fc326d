//! Fuzz target: key=value (and CSV for 027) response parsing plus every typed conversion
//! must never panic. The first byte picks the telegram kind and the HTTP status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paygent_codec::kind::TelegramKind;
use paygent_codec::parse_response;
use paygent_codec::response::{
    CardAuthorization, CardOperation, CardRevision, DifferenceInquiryResult, PaidyOperation,
    PaidyVerification, PaymentInquiryResult, StoredCardDeletion, StoredCardList,
    StoredCardRegistration,
};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = TelegramKind::ALL[usize::from(selector) % TelegramKind::ALL.len()];
    let status = if selector & 0x80 == 0 { 200 } else { 500 };
    let Ok(raw) = parse_response(kind, status, body) else {
        return;
    };
    let _ = CardAuthorization::try_from(raw.clone());
    let _ = CardOperation::try_from(raw.clone());
    let _ = CardRevision::try_from(raw.clone());
    let _ = StoredCardRegistration::try_from(raw.clone());
    let _ = StoredCardDeletion::try_from(raw.clone());
    let _ = StoredCardList::try_from(raw.clone());
    let _ = DifferenceInquiryResult::try_from(raw.clone());
    let _ = PaymentInquiryResult::try_from(raw.clone());
    let _ = PaidyOperation::try_from(raw.clone());
    let _ = PaidyVerification::try_from(raw);
});
