use secrets::Sensitive;

const SENTINEL: &str = "SENTINEL-s3cr3t-7f1c";

#[test]
fn sensitive_never_prints_its_value() {
    let s = Sensitive::from(SENTINEL);
    assert_eq!(format!("{s:?}"), "<redacted>");
    assert_eq!(format!("{s}"), "<redacted>");
    assert_eq!(format!("{:?}", Some(s.clone())), "Some(<redacted>)");
    assert_eq!(s.expose(), SENTINEL);
}

#[test]
fn sensitive_text_is_built_from_str_or_string_and_read_as_str() {
    let from_str: Sensitive<String> = Sensitive::new(SENTINEL);
    let from_string = Sensitive::<String>::new(SENTINEL.to_owned());
    assert_eq!(from_str, from_string);
    assert_eq!(from_str.as_str(), SENTINEL);
    assert!(!from_str.is_empty());
    assert_eq!(from_string.into_inner(), SENTINEL);
}
