//! The error dictionary: completeness against the protocol notes, context, fallbacks.

use std::collections::HashSet;

use paygent_codec::dictionary::{ENTRIES, Namespace, lookup};
use paygent_codec::{Category, ErrorContext, explain, explain_with_detail};

use crate::protocol_section;

/// Codes in backticks: `P001`, `2010/2011`, `1301–1308`, `1C01…1C78`, `9xxx`, `1Gxx`.
fn backticked_codes(text: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for span in text.split('`').skip(1).step_by(2) {
        for token in span.split([',', '/', ' ']) {
            let token = token.trim();
            if let Some((a, b)) = token.split_once('–').or_else(|| token.split_once('…')) {
                codes.extend(expand_range(a, b));
            } else if is_code(token) {
                codes.push(token.replace('x', "0"));
            }
        }
    }
    codes
}

fn is_code(token: &str) -> bool {
    let t = token.replace('x', "0");
    (4..=6).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && t.chars().any(|c| c.is_ascii_digit())
}

fn expand_range(a: &str, b: &str) -> Vec<String> {
    let digits = |s: &str| s.chars().rev().take_while(char::is_ascii_digit).count();
    let (pa, na) = a.split_at(a.len() - digits(a));
    let (pb, nb) = b.split_at(b.len() - digits(b));
    assert_eq!(pa, pb, "range {a}–{b}");
    let (lo, hi): (u32, u32) = (na.parse().unwrap(), nb.parse().unwrap());
    (lo..=hi)
        .map(|n| format!("{pa}{n:0width$}", width = na.len()))
        .collect()
}

#[test]
fn every_code_in_the_protocol_notes_is_in_the_dictionary() {
    let s81 = protocol_section("8.1");
    let s82 = protocol_section("8.2");
    let s33 = protocol_section("3.3");
    let s46 = protocol_section("4.6");

    let response_codes = backticked_codes(&s81);
    assert!(
        response_codes.len() > 80,
        "parser found {}",
        response_codes.len()
    );
    for code in &response_codes {
        assert!(
            lookup(code, Namespace::ResponseCode).is_some(),
            "§8.1 {code}"
        );
    }
    let detail_codes = backticked_codes(&s82);
    assert!(
        detail_codes.len() > 60,
        "parser found {}",
        detail_codes.len()
    );
    for code in &detail_codes {
        assert!(
            lookup(code, Namespace::CardDetail).is_some()
                || lookup(code, Namespace::ResponseCode).is_some(),
            "§8.2 {code}"
        );
    }
    let module_codes: Vec<&str> = s33
        .lines()
        .filter_map(|l| l.strip_prefix("| E0"))
        .filter_map(|l| l.split('|').next())
        .map(str::trim)
        .collect();
    assert_eq!(module_codes.len(), 14);
    for code in module_codes {
        let code = format!("E0{code}");
        assert!(lookup(&code, Namespace::Module).is_some(), "§3.3 {code}");
    }
    for code in backticked_codes(&s46)
        .iter()
        .filter(|c| c.starts_with("310") || c.starts_with('P'))
    {
        assert!(
            lookup(code, Namespace::ResponseCode).is_some(),
            "§4.6 {code}"
        );
    }
    for code in ["31001", "1502", "P010"] {
        assert!(explain(code, ErrorContext::Other).known, "seed {code}");
    }
}

#[test]
fn entries_are_unique_and_fully_written() {
    let mut seen = HashSet::new();
    for e in ENTRIES {
        assert!(seen.insert((e.code, e.namespace)), "duplicate {}", e.code);
        for text in [e.ja, e.action_ja] {
            assert!(!text.is_ascii() && !text.is_empty(), "{} ja", e.code);
        }
        for text in [e.en, e.action_en] {
            assert!(
                !text.is_empty() && text.ends_with('.'),
                "{} en: {text}",
                e.code
            );
        }
    }
}

#[test]
fn p010_on_a_renewal_points_at_an_expired_stored_card() {
    let renewal = explain("P010", ErrorContext::Renewal);
    let first = explain("P010", ErrorContext::FirstPurchase);
    assert!(
        renewal.en.contains("stored card has expired"),
        "{}",
        renewal.en
    );
    assert!(renewal.ja.contains("有効期限切れ"));
    assert!(renewal.action_en.contains("update the card"));
    assert!(!first.en.contains("stored card has expired"));
    assert_eq!(renewal.category, first.category);
}

#[test]
fn a_card_detail_code_refines_the_response_code() {
    let e = explain_with_detail("2003", Some("1G83"), ErrorContext::Renewal);
    assert_eq!(e.code, "2003/1G83");
    assert_eq!(e.category, Category::CardProblem);
    assert!(e.en.contains("expired"));
    let system = explain_with_detail("2002", Some("1C15"), ErrorContext::Cancel);
    assert_eq!(system.category, Category::GatewayDown);
    assert!(system.category.is_retryable());
    let issuer = explain_with_detail("2001", Some("1G70"), ErrorContext::FirstPurchase);
    assert_eq!(issuer.code, "2001/1G70");
    assert_eq!(issuer.category, Category::CardProblem);
    // A Japanese message in response_detail (P errors) is not a detail code.
    let p = explain_with_detail(
        "P002",
        Some("接続ＩＤまたは接続パスワードが不正です。"),
        ErrorContext::ConnectionTest,
    );
    assert_eq!(p.code, "P002");
    assert_eq!(p.category, Category::Credentials);
    assert!(p.en.contains("environment"));
}

#[test]
fn categories_follow_paygent_retry_advice() {
    for code in ["E002", "9005", "9004", "2008", "24005"] {
        assert!(
            explain(code, ErrorContext::Other).category.is_retryable(),
            "{code}"
        );
    }
    assert_eq!(
        explain("2007", ErrorContext::Capture).category,
        Category::DeadlinePassed
    );
    assert!(explain("2007", ErrorContext::Capture).en.contains("lapsed"));
    assert_eq!(
        explain("2004", ErrorContext::Capture).category,
        Category::StateConflict
    );
    assert_eq!(
        explain("P007", ErrorContext::Other).category,
        Category::NotContracted
    );
    assert_eq!(
        explain("P016", ErrorContext::Other).category,
        Category::Credentials
    );
    assert_eq!(
        explain("E02006", ErrorContext::Capture).category,
        Category::Retryable
    );
}

#[test]
fn unknown_codes_get_a_generic_explanation_naming_the_code() {
    let e = explain("Z9999", ErrorContext::Other);
    assert!(!e.known);
    assert_eq!(e.category, Category::Unknown);
    assert!(e.ja.contains("Z9999") && e.en.contains("Z9999") && e.action_en.contains("Z9999"));
}
