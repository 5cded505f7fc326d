use std::fmt;

/// A secret value: a password, a key, a token, a certificate.
///
/// It prints as `<redacted>` and implements neither `Serialize` nor `Display` of its
/// content, so it cannot end up in a log line, an error message or an IPC payload by
/// accident. Code that really needs the value calls [`Sensitive::expose`], which is easy to
/// find in review.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value; anything that converts into `T` will do (`Sensitive::<String>::new("…")`).
    pub fn new(value: impl Into<T>) -> Self {
        Sensitive(value.into())
    }

    /// The secret itself. Call it only where the value leaves for its one destination
    /// (the gateway, the keychain, a hash).
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl Sensitive<String> {
    /// The secret text; the same as [`Sensitive::expose`], typed as `&str`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Sensitive<String> {
    fn from(value: String) -> Self {
        Sensitive(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Sensitive(value.to_owned())
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
