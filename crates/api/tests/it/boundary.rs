use api::{Build, Desk, keychain_namespace};

#[test]
fn builds_use_separate_keychain_namespaces() {
    let ns = |b, demo| keychain_namespace("jp.paydesk.desk", b, demo);
    assert_eq!(ns(Build::Release, false), "jp.paydesk.desk");
    assert_eq!(ns(Build::Dev, false), "jp.paydesk.desk.dev");
    assert_eq!(ns(Build::Test, false), "jp.paydesk.desk.test");
    // The demo never shares a namespace with a shop's secrets, whatever the build.
    assert_eq!(ns(Build::Release, true), "jp.paydesk.desk.demo");
    assert_eq!(ns(Build::Dev, true), "jp.paydesk.desk.dev.demo");
    assert_eq!(ns(Build::Test, true), "jp.paydesk.desk.test.demo");
}

#[test]
fn the_boundary_error_serializes_code_message_and_action() {
    let err = Desk::parse_language("fr").unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["code"], "invalid_language");
    assert!(json["message"]["ja"].as_str().unwrap().contains("fr"));
    assert!(json["message"]["en"].as_str().unwrap().contains("English"));
    assert!(json["action"].is_null());
}

#[test]
fn languages_parse_from_their_codes() {
    assert_eq!(Desk::parse_language("ja").unwrap(), api::dto::Language::Ja);
    assert_eq!(Desk::parse_language("en").unwrap(), api::dto::Language::En);
}
