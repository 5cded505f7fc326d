//! Serde adapters for the codec's value types, which deliberately do not implement serde.
//! Only the simulator's own snapshot and control API use them.

/// `PaymentStatus` as its two-digit code.
pub mod status {
    use paygent_codec::PaymentStatus;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the code.
    pub fn serialize<S: Serializer>(status: &PaymentStatus, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(status.code())
    }

    /// Reads the code.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PaymentStatus, D::Error> {
        let code = String::deserialize(d)?;
        PaymentStatus::from_code(&code).ok_or_else(|| D::Error::custom("unknown payment status"))
    }
}

/// `Yen` as a plain integer.
pub mod yen {
    use paygent_codec::Yen;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the integer.
    pub fn serialize<S: Serializer>(amount: &Yen, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(amount.0)
    }

    /// Reads the integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Yen, D::Error> {
        i64::deserialize(d).map(Yen)
    }
}
