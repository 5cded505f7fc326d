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
