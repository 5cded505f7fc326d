//! Turning the merchant's certificate files into a native-tls identity.
//!
//! Every kit format is read here into one [`Kit`] (the client certificate first, then its
//! chain up to the root, and the key as unencrypted PKCS#8), in memory only, whatever the
//! platform:
//! - PEM, as the PHP module uses: certificates in any order, and the key as PKCS#8
//!   (`PRIVATE KEY`), encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, decrypted with the `pkcs8`
//!   crate; Paygent's kits use the passphrase `changeit`) or PKCS#1 (`RSA PRIVATE KEY`).
//!   Legacy OpenSSL encrypted keys (`Proc-Type: 4,ENCRYPTED`) and SEC1 EC keys are refused
//!   with the command that converts them.
//! - PKCS#12 (`.pfx`, `.p12`), as the Java module uses, read by `p12-keystore` (PBES2 and
//!   the legacy 3DES and RC2 ciphers that OpenSSL 3 only reads with its legacy provider).
//!
//! The kit then goes to the platform's TLS stack the way that stack takes it (see
//! [`to_reqwest_identity`]). Nothing is ever written to a file.

use paygent_codec::Secret;
use pkcs8::der::pem;
use pkcs8::der::zeroize::Zeroizing;

use crate::config::ClientIdentity;
use crate::error::ClientError;

/// A client identity read from any kit format.
pub(crate) struct Kit {
    /// DER certificates: the client's own first, then its issuers in order.
    certs: Vec<Vec<u8>>,
    /// The key, unencrypted PKCS#8 DER.
    key: Zeroizing<Vec<u8>>,
}

/// Builds the reqwest identity.
///
/// - Linux (OpenSSL): the kit as PEM to `from_pkcs8_pem`; OpenSSL keeps the key in memory.
/// - Windows (SChannel): the kit as a PKCS#12 made in memory, to `from_pkcs12_der`. native-tls
///   turns a PEM key into a CryptoAPI RSA key container (`PROV_RSA_FULL`), which refuses EC
///   keys and writes the container to the user's profile; its PKCS#12 import instead
///   takes RSA and EC keys and the whole chain (see README.md for what stays on disk).
/// - macOS (Security.framework): PEM to `from_pkcs8_pem`, as on Linux.
pub fn to_reqwest_identity(identity: &ClientIdentity) -> Result<reqwest::Identity, ClientError> {
    let kit = Kit::read(identity)?;
    platform_identity(&kit).map_err(|_| {
        ClientError::Config(
            "the client certificate or its key could not be used (the certificate may not belong to the key)"
                .into(),
        )
    })
}

#[cfg(not(windows))]
fn platform_identity(kit: &Kit) -> Result<reqwest::Identity, reqwest::Error> {
    reqwest::Identity::from_pkcs8_pem(&kit.certs_pem(), kit.key_pem().as_bytes())
}

#[cfg(windows)]
fn platform_identity(kit: &Kit) -> Result<reqwest::Identity, reqwest::Error> {
    // The PKCS#12 only lives in this process's memory; its passphrase protects nothing and
    // is not a secret.
    const IN_MEMORY: &str = "paydesk-in-memory";
    match kit.to_pkcs12(IN_MEMORY) {
        Some(der) => reqwest::Identity::from_pkcs12_der(&der, IN_MEMORY),
        None => reqwest::Identity::from_pkcs8_pem(&kit.certs_pem(), kit.key_pem().as_bytes()),
    }
}

impl Kit {
    pub(crate) fn read(identity: &ClientIdentity) -> Result<Kit, ClientError> {
        match identity {
            ClientIdentity::Pkcs12 { der, passphrase } => Kit::from_pkcs12(der, passphrase),
            ClientIdentity::Pem { pem, passphrase } => Kit::from_pem(pem, passphrase.as_ref()),
        }
    }

    fn from_pkcs12(der: &[u8], passphrase: &Secret) -> Result<Kit, ClientError> {
        let unreadable = || {
            ClientError::Config(
                "the PKCS#12 client certificate could not be read (wrong passphrase or not a PKCS#12 file)"
                    .into(),
            )
        };
        let store = p12_keystore::KeyStore::from_pkcs12(
            der,
            passphrase.expose(),
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|_| unreadable())?;
        let (_, chain) = store.private_key_chain().ok_or_else(|| {
            ClientError::Config("the PKCS#12 file holds no private key with its certificate".into())
        })?;
        let mut certs: Vec<Vec<u8>> = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
        // Certificates stored apart from the key (some tools put the CA chain there).
        for (_, entry) in store.entries() {
            if let p12_keystore::KeyStoreEntry::Certificate(cert) = entry {
                certs.push(cert.as_der().to_vec());
            }
        }
        if certs.is_empty() {
            return Err(ClientError::Config(
                "the PKCS#12 file holds no certificate".into(),
            ));
        }
        Ok(Kit {
            certs: leaf_first(certs),
            key: Zeroizing::new(chain.key().as_der().to_vec()),
        })
    }

    fn from_pem(bundle: &[u8], passphrase: Option<&Secret>) -> Result<Kit, ClientError> {
        let text = std::str::from_utf8(bundle).map_err(|_| {
            ClientError::Config("the client certificate file is not PEM text".into())
        })?;
        let mut certs = Vec::new();
        let mut key: Option<Zeroizing<Vec<u8>>> = None;
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
                "CERTIFICATE" => certs.push(decode(block, "certificate")?.to_vec()),
                "PRIVATE KEY" => key = Some(decode(block, "key")?),
                "ENCRYPTED PRIVATE KEY" => {
                    let passphrase = passphrase.ok_or_else(|| {
                        ClientError::Config(
                            "the client key is encrypted: a passphrase is needed".into(),
                        )
                    })?;
                    key = Some(decrypt_pkcs8(block, passphrase)?);
                }
                "RSA PRIVATE KEY" if !block.contains("Proc-Type:") => {
                    key = Some(pkcs1_to_pkcs8(&decode(block, "key")?)?);
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
        Ok(Kit {
            certs: leaf_first(certs),
            key,
        })
    }

    /// The certificates as PEM, the client's own first.
    pub(crate) fn certs_pem(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for der in &self.certs {
            if let Ok(block) = pem::encode_string("CERTIFICATE", pem::LineEnding::LF, der) {
                out.extend_from_slice(block.as_bytes());
            }
        }
        out
    }

    /// The key as an unencrypted PKCS#8 PEM block (in memory only).
    pub(crate) fn key_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(
            pem::encode_string("PRIVATE KEY", pem::LineEnding::LF, &self.key).unwrap_or_default(),
        )
    }

    /// The kit as a PKCS#12, protected by `passphrase` (3DES and an SHA-1 MAC: what every
    /// Windows version imports; it never leaves memory).
    #[cfg_attr(not(windows), allow(dead_code))]
    pub(crate) fn to_pkcs12(&self, passphrase: &str) -> Option<Vec<u8>> {
        use p12_keystore::{
            Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
            PrivateKeyChain,
        };
        let key = PrivateKey::from_der(&self.key).ok()?;
        let certs: Vec<Certificate> = self
            .certs
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<Result<_, _>>()
            .ok()?;
        let mut store = KeyStore::new();
        store.add_entry(
            "paydesk",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"1".to_vec(), key, certs)),
        );
        store
            .writer(passphrase)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(MacAlgorithm::HmacSha1)
            .encryption_iterations(2048)
            .mac_iterations(2048)
            .write()
            .ok()
    }

    /// The certificates' DER, the client's own first (for tests of the ordering).
    #[cfg(test)]
    pub(crate) fn certs(&self) -> &[Vec<u8>] {
        &self.certs
    }
}

fn decode(block: &str, what: &str) -> Result<Zeroizing<Vec<u8>>, ClientError> {
    pem::decode_vec(block.as_bytes())
        .map(|(_, der)| Zeroizing::new(der))
        .map_err(|_| ClientError::Config(format!("malformed {what} block in the PEM file")))
}

/// Orders the certificates as TLS stacks take them: the client's own first (the one that
/// issued none of the others), then its issuer, and so on. Certificates that are not on
/// that chain are left out. Kits list them in any order: a CA first is common.
fn leaf_first(certs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let names: Vec<Option<(String, String)>> = certs
        .iter()
        .map(|der| {
            p12_keystore::Certificate::from_der(der)
                .ok()
                .map(|c| (c.subject().to_owned(), c.issuer().to_owned()))
        })
        .collect();
    let issued_another = |i: usize| {
        let Some((subject, _)) = &names[i] else {
            return false;
        };
        names.iter().enumerate().any(|(j, other)| {
            j != i
                && other.as_ref().is_some_and(|(other_subject, issuer)| {
                    issuer == subject && other_subject != subject
                })
        })
    };
    let self_signed = |i: usize| names[i].as_ref().is_some_and(|(s, issuer)| s == issuer);
    // The client's own: issued none of the others; not a self-signed root when there is
    // a choice (a kit may carry a stray CA).
    let candidates: Vec<usize> = (0..certs.len()).filter(|&i| !issued_another(i)).collect();
    let Some(leaf) = candidates
        .iter()
        .copied()
        .find(|&i| !self_signed(i))
        .or(candidates.first().copied())
    else {
        return certs;
    };
    let mut order = vec![leaf];
    while let Some(Some((subject, issuer))) = order.last().map(|&i| &names[i]) {
        if subject == issuer {
            break;
        }
        let next = (0..certs.len())
            .find(|j| !order.contains(j) && names[*j].as_ref().is_some_and(|(s, _)| s == issuer));
        match next {
            Some(j) => order.push(j),
            None => break,
        }
    }
    order.into_iter().map(|i| certs[i].clone()).collect()
}

/// Wraps a PKCS#1 `RSAPrivateKey` in PKCS#8 (algorithm rsaEncryption, NULL parameters).
fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Result<Zeroizing<Vec<u8>>, ClientError> {
    use pkcs8::der::Encode;
    const RSA_ENCRYPTION: pkcs8::ObjectIdentifier =
        pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    let info = pkcs8::PrivateKeyInfo::new(
        pkcs8::AlgorithmIdentifierRef {
            oid: RSA_ENCRYPTION,
            parameters: Some(pkcs8::der::asn1::AnyRef::NULL),
        },
        pkcs1,
    );
    info.to_der()
        .map(Zeroizing::new)
        .map_err(|_| ClientError::Config("malformed RSA key".into()))
}

fn decrypt_pkcs8(block: &str, passphrase: &Secret) -> Result<Zeroizing<Vec<u8>>, ClientError> {
    let (_, der) = pem::decode_vec(block.as_bytes())
        .map_err(|_| ClientError::Config("malformed encrypted key block".into()))?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|_| ClientError::Config("malformed encrypted key".into()))?;
    let document = info.decrypt(passphrase.expose()).map_err(|_| {
        ClientError::Config(
            "the client key could not be decrypted (wrong passphrase or unsupported cipher)".into(),
        )
    })?;
    Ok(Zeroizing::new(document.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    /// A root, an intermediate and a client certificate, as DER; and the client's key.
    fn chain(name: &str) -> (Vec<Vec<u8>>, Vec<u8>) {
        let root_key = KeyPair::generate().unwrap();
        let mut root = CertificateParams::new(Vec::<String>::new()).unwrap();
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.distinguished_name
            .push(DnType::CommonName, format!("{name} root"));
        let root = root.self_signed(&root_key).unwrap();
        let mid_key = KeyPair::generate().unwrap();
        let mut mid = CertificateParams::new(Vec::<String>::new()).unwrap();
        mid.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        mid.distinguished_name
            .push(DnType::CommonName, format!("{name} intermediate"));
        let mid = mid.signed_by(&mid_key, &root, &root_key).unwrap();
        // RSA, as Paygent's kits (and what Wine's SChannel imports).
        let leaf_key = KeyPair::from_pem(include_str!("../tests/it/test-client-rsa.pem")).unwrap();
        let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, "merchant");
        let leaf = leaf.signed_by(&leaf_key, &mid, &mid_key).unwrap();
        (
            vec![leaf.der().to_vec(), mid.der().to_vec(), root.der().to_vec()],
            leaf_key.serialize_der(),
        )
    }

    #[test]
    fn certificates_in_any_order_come_out_client_first_then_its_issuers() {
        let (ordered, _) = chain("paygent");
        let [leaf, mid, root] = [0, 1, 2].map(|i| ordered[i].clone());
        for shuffled in [
            vec![root.clone(), mid.clone(), leaf.clone()],
            vec![mid.clone(), leaf.clone(), root.clone()],
            vec![leaf.clone(), root.clone(), mid.clone()],
        ] {
            assert!(leaf_first(shuffled) == ordered);
        }
        // A certificate of another chain is left out.
        let (other, _) = chain("other");
        let with_stranger = vec![other[2].clone(), root, mid, leaf];
        assert!(leaf_first(with_stranger) == ordered);
    }

    #[test]
    fn the_in_memory_pkcs12_holds_the_same_kit() {
        let (certs, key) = chain("paygent");
        let kit = Kit {
            certs: certs.clone(),
            key: Zeroizing::new(key.clone()),
        };
        let der = kit.to_pkcs12("in-memory").expect("PKCS#12");
        let back = Kit::from_pkcs12(&der, &Secret::new("in-memory")).unwrap();
        assert_eq!(back.certs(), certs.as_slice());
        assert_eq!(*back.key, key);
        // And the platform's own reader takes it (OpenSSL here, SChannel on Windows).
        reqwest::Identity::from_pkcs12_der(&der, "in-memory").expect("readable");
    }
}
