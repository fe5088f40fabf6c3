//! Certificates and keys of a test control plane: a serving CA and certificate for the API
//! server, a client CA whose certificates authenticate users, and the service-account signing key.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use p256::pkcs8::DecodePrivateKey;
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::der::{Decode, EncodePem};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::Validity;
use x509_cert::{Certificate, TbsCertificate};

use super::error::{Error, Result};

/// How long every generated certificate stays valid; test control planes live for minutes.
const CERTIFICATE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// A PEM certificate and its PEM private key.
#[derive(Clone)]
pub(crate) struct KeyedCertificate {
    pub(crate) certificate_pem: String,
    pub(crate) key_pem: String,
}

/// All key material of one control plane.
pub(crate) struct Pki {
    /// The CA that signed the API server's serving certificate; clients trust it.
    pub(crate) serving_ca_pem: String,
    /// The API server's serving certificate, valid for `localhost`, `127.0.0.1` and `::1`.
    pub(crate) serving: KeyedCertificate,
    /// The CA the API server trusts for client certificates (`--client-ca-file`).
    pub(crate) client_ca_pem: String,
    client_ca_key: p256::ecdsa::SigningKey,
    client_ca_subject: Name,
    /// Service-account token signing key (private, PEM) and its public half.
    pub(crate) service_account_key_pem: String,
    pub(crate) service_account_public_pem: String,
}

impl Pki {
    /// Generates fresh CAs, the serving certificate and the service-account key.
    pub(crate) fn generate() -> Result<Self> {
        let (serving_ca_params, serving_ca_key) = ca_params("kubesmith-envtest-serving-ca")?;
        let serving_ca_cert = serving_ca_params
            .self_signed(&serving_ca_key)
            .map_err(cert_error("serving CA"))?;
        let serving_issuer = rcgen::Issuer::new(serving_ca_params, serving_ca_key);

        let mut serving_params = CertificateParams::new(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ])
        .map_err(cert_error("serving certificate"))?;
        serving_params
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        serving_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        serving_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let serving_key = KeyPair::generate().map_err(cert_error("serving key"))?;
        let serving_cert = serving_params
            .signed_by(&serving_key, &serving_issuer)
            .map_err(cert_error("serving certificate"))?;

        let (client_ca_params, client_ca_rcgen_key) = ca_params("kubesmith-envtest-client-ca")?;
        let client_ca_cert = client_ca_params
            .self_signed(&client_ca_rcgen_key)
            .map_err(cert_error("client CA"))?;
        let client_ca_key =
            p256::ecdsa::SigningKey::from_pkcs8_der(&client_ca_rcgen_key.serialize_der())
                .map_err(cert_error("client CA key"))?;
        let client_ca_subject = Certificate::from_der(client_ca_cert.der())
            .map_err(cert_error("client CA subject"))?
            .tbs_certificate()
            .subject()
            .clone();

        let service_account_key = KeyPair::generate().map_err(cert_error("service-account key"))?;

        Ok(Pki {
            serving_ca_pem: serving_ca_cert.pem(),
            serving: KeyedCertificate {
                certificate_pem: serving_cert.pem(),
                key_pem: serving_key.serialize_pem(),
            },
            client_ca_pem: client_ca_cert.pem(),
            client_ca_key,
            client_ca_subject,
            service_account_key_pem: service_account_key.serialize_pem(),
            service_account_public_pem: service_account_key.public_key_pem(),
        })
    }

    /// Issues a client certificate for `user` in `groups`, signed by the client CA.
    ///
    /// The API server maps the certificate's common name to the user name and each
    /// organization to a group, so any number of groups is supported.
    pub(crate) fn issue_client_certificate(
        &self,
        user: &str,
        groups: &[String],
    ) -> Result<KeyedCertificate> {
        let what = || format!("client certificate for {user:?}");
        let subject =
            Name::from_str(&subject_dn(user, groups)).map_err(|e| Error::Certificate {
                what: what(),
                message: format!("user or group name cannot be encoded: {e}"),
            })?;
        let user_key = p256::ecdsa::SigningKey::from_pkcs8_der(
            &KeyPair::generate()
                .map_err(cert_error(what()))?
                .serialize_der(),
        )
        .map_err(cert_error(what()))?;
        let public_key = SubjectPublicKeyInfoOwned::from_key(user_key.verifying_key())
            .map_err(cert_error(what()))?;
        let profile = ClientProfile {
            issuer: self.client_ca_subject.clone(),
            subject,
        };
        let validity = Validity::from_now(CERTIFICATE_LIFETIME).map_err(cert_error(what()))?;
        let certificate =
            CertificateBuilder::new(profile, next_serial_number()?, validity, public_key)
                .map_err(cert_error(what()))?
                .build::<_, p256::ecdsa::DerSignature>(&self.client_ca_key)
                .map_err(cert_error(what()))?;
        let key_pem = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&user_key, Default::default())
            .map_err(cert_error(what()))?;
        Ok(KeyedCertificate {
            certificate_pem: certificate
                .to_pem(Default::default())
                .map_err(cert_error(what()))?,
            key_pem: key_pem.to_string(),
        })
    }
}

/// The certificate profile of a user's client certificate: signed by the client CA, for client auth.
struct ClientProfile {
    issuer: Name,
    subject: Name,
}

impl BuilderProfile for ClientProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut extensions = Vec::new();
        let key_usage = KeyUsage(KeyUsages::DigitalSignature.into())
            .to_extension(tbs.subject(), &extensions)?;
        extensions.push(key_usage);
        let client_auth = ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_CLIENT_AUTH])
            .to_extension(tbs.subject(), &extensions)?;
        extensions.push(client_auth);
        Ok(extensions)
    }
}

fn ca_params(common_name: &str) -> Result<(CertificateParams, KeyPair)> {
    crate::server::certificates::ca_params(common_name).map_err(cert_error(common_name))
}

/// The RFC 4514 string of a user's subject: `CN=<user>` and one `O=<group>` per group.
fn subject_dn(user: &str, groups: &[String]) -> String {
    std::iter::once(format!("CN={}", escape_dn_value(user)))
        .chain(
            groups
                .iter()
                .map(|group| format!("O={}", escape_dn_value(group))),
        )
        .collect::<Vec<_>>()
        .join(",")
}

/// Escapes an attribute value for an RFC 4514 distinguished-name string.
fn escape_dn_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (index, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (index == 0 && matches!(c, ' ' | '#'))
            || (index == last && c == ' ');
        if special {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A positive serial number unique within this process and very likely across processes.
fn next_serial_number() -> Result<SerialNumber> {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let mut bytes = [0u8; 17];
    bytes[1..9].copy_from_slice(&nanos.to_be_bytes());
    bytes[9..13].copy_from_slice(&std::process::id().to_be_bytes());
    bytes[13..].copy_from_slice(&(COUNTER.fetch_add(1, Ordering::Relaxed) as u32).to_be_bytes());
    bytes[0] = 0x01;
    SerialNumber::new(&bytes).map_err(cert_error("serial number"))
}

fn cert_error<E: std::fmt::Display>(what: impl Into<String>) -> impl FnOnce(E) -> Error {
    let what = what.into();
    move |e| Error::Certificate {
        what,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_lists_every_group_as_an_organization() {
        assert_eq!(
            subject_dn("alice", &["dev".to_string(), "ops".to_string()]),
            "CN=alice,O=dev,O=ops"
        );
    }

    #[test]
    fn special_characters_in_names_are_escaped() {
        assert_eq!(
            escape_dn_value("system:serviceaccount:ns:a,b"),
            "system:serviceaccount:ns:a\\,b"
        );
        assert_eq!(escape_dn_value(" lead"), "\\ lead");
        assert_eq!(escape_dn_value("#x=y "), "\\#x\\=y\\ ");
    }

    #[test]
    fn client_certificates_carry_user_and_all_groups() {
        let pki = Pki::generate().expect("pki");
        let issued = pki
            .issue_client_certificate("bob", &["a".into(), "b".into(), "c".into()])
            .expect("certificate");
        let der = x509_cert::der::DecodePem::from_pem(issued.certificate_pem.as_bytes());
        let cert: Certificate = der.expect("parse");
        let subject = cert.tbs_certificate().subject().to_string();
        for part in ["CN=bob", "O=a", "O=b", "O=c"] {
            assert!(subject.contains(part), "{subject} lacks {part}");
        }
        assert_eq!(cert.tbs_certificate().issuer(), &pki.client_ca_subject);
    }
}
