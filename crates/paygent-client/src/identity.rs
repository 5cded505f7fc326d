//! Turning the merchant's certificate files into a native-tls identity.
//!
//! PEM files may hold an encrypted PKCS#8 key; native-tls only takes an unencrypted
//! one, so the key is decrypted here (PBES2 via the `pkcs8` crate) and never written
//! anywhere. Legacy OpenSSL "traditional" encrypted keys (`Proc-Type: 4,ENCRYPTED`) are
//! refused with a message saying how to convert them.

use paygent_codec::Secret;
use pkcs8::der::pem;
use pkcs8::der::zeroize::Zeroizing;

use crate::config::ClientIdentity;
use crate::error::ClientError;

/// Builds the reqwest identity.
pub fn to_reqwest_identity(identity: &ClientIdentity) -> Result<reqwest::Identity, ClientError> {
    match identity {
        ClientIdentity::Pkcs12 { der, passphrase } => {
            reqwest::Identity::from_pkcs12_der(der, passphrase.expose()).map_err(|_| {
                ClientError::Config(
                    "the PKCS#12 client certificate could not be read (wrong passphrase or not a PKCS#12 file)"
                        .into(),
                )
            })
        }
        ClientIdentity::Pem { pem, passphrase } => {
            let (certs, key) = split_pem(pem, passphrase.as_ref())?;
            reqwest::Identity::from_pkcs8_pem(&certs, key.as_bytes()).map_err(|_| {
                ClientError::Config("the client certificate or its key could not be used".into())
            })
        }
    }
}

/// Splits a PEM bundle into the certificate blocks and one unencrypted PKCS#8 key.
fn split_pem(
    bundle: &[u8],
    passphrase: Option<&Secret>,
) -> Result<(Vec<u8>, Zeroizing<String>), ClientError> {
    let text = std::str::from_utf8(bundle)
        .map_err(|_| ClientError::Config("the client certificate file is not PEM text".into()))?;
    let mut certs = Vec::new();
    let mut key: Option<Zeroizing<String>> = None;
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start..];
        let label_end = after[11..]
            .find("-----")
            .ok_or_else(|| ClientError::Config("malformed PEM block".into()))?;
        let label = &after[11..11 + label_end];
        let end_marker = format!("-----END {label}-----");
        let end = after
            .find(&end_marker)
            .ok_or_else(|| ClientError::Config("malformed PEM block".into()))?
            + end_marker.len();
        let block = &after[..end];
        rest = &after[end..];
        match label {
            "CERTIFICATE" => {
                certs.extend_from_slice(block.as_bytes());
                certs.push(b'\n');
            }
            "PRIVATE KEY" => key = Some(Zeroizing::new(block.to_owned())),
            "ENCRYPTED PRIVATE KEY" => {
                let passphrase = passphrase.ok_or_else(|| {
                    ClientError::Config(
                        "the client key is encrypted: a passphrase is needed".into(),
                    )
                })?;
                key = Some(decrypt_pkcs8(block, passphrase)?);
            }
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                return Err(ClientError::Config(format!(
                    "the client key is in the legacy `{label}` format; convert it with `openssl pkcs8 -topk8 -in key.pem -out key-pkcs8.pem` (or use the PKCS#12 file)"
                )));
            }
            _ => {}
        }
    }
    let key = key.ok_or_else(|| {
        ClientError::Config("the client certificate file holds no private key".into())
    })?;
    if certs.is_empty() {
        return Err(ClientError::Config(
            "the client certificate file holds no certificate".into(),
        ));
    }
    Ok((certs, key))
}

fn decrypt_pkcs8(block: &str, passphrase: &Secret) -> Result<Zeroizing<String>, ClientError> {
    let (_, der) = pem::decode_vec(block.as_bytes())
        .map_err(|_| ClientError::Config("malformed encrypted key block".into()))?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|_| ClientError::Config("malformed encrypted key".into()))?;
    let document = info.decrypt(passphrase.expose()).map_err(|_| {
        ClientError::Config(
            "the client key could not be decrypted (wrong passphrase or unsupported cipher)".into(),
        )
    })?;
    let pem = document
        .to_pem("PRIVATE KEY", pem::LineEnding::LF)
        .map_err(|_| ClientError::Config("the decrypted key could not be re-encoded".into()))?;
    Ok(Zeroizing::new(pem.to_string()))
}
