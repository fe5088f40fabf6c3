//! Issuing serving certificates: a fresh CA and a certificate for the given hosts signed by
//! it, as PEM — what envtest gives a webhook server, and what an operator that manages its own
//! webhook certificates stores in its Secret.

use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use super::tls::TlsError;

/// A serving certificate and the CA that signed it, as PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The CA certificate (what clients trust: a webhook configuration's `caBundle`).
    pub ca_pem: String,
    /// The serving certificate (`tls.crt`).
    pub certificate_pem: String,
    /// The serving certificate's private key (`tls.key`).
    pub key_pem: String,
    /// When the serving certificate expires.
    pub not_after: SystemTime,
}

/// The parameters of a CA named `common_name` and its fresh key (validity: rcgen's default
/// unless set).
pub(crate) fn ca_params(common_name: &str) -> Result<(CertificateParams, KeyPair), rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok((params, KeyPair::generate()?))
}

/// Issues a CA named `ca_name` and a serving certificate for `hosts` (DNS names or IP
/// addresses) signed by it, both valid from now for `validity`.
///
/// ```
/// use std::time::Duration;
/// let issued = kubesmith::server::certificates::issue(
///     "example-ca",
///     &["localhost".to_string(), "127.0.0.1".to_string()],
///     Duration::from_secs(3600),
/// )?;
/// assert!(issued.certificate_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// # Ok::<(), kubesmith::server::tls::TlsError>(())
/// ```
pub fn issue(
    ca_name: &str,
    hosts: &[String],
    validity: Duration,
) -> Result<IssuedCertificate, TlsError> {
    let now = time::OffsetDateTime::now_utc();
    // Clocks of the API server and of the operator may differ a little.
    let not_before = now - time::Duration::minutes(5);
    let not_after =
        now + time::Duration::seconds(i64::try_from(validity.as_secs()).unwrap_or(i64::MAX / 2));

    let (mut ca_params, ca_key) = ca_params(ca_name)?;
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_certificate = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.subject_alt_names = hosts
        .iter()
        .map(|host| match host.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => host.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    if let Some(first) = hosts.first() {
        params
            .distinguished_name
            .push(DnType::CommonName, first.as_str());
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate()?;
    let certificate = params.signed_by(&key, &issuer)?;
    Ok(IssuedCertificate {
        ca_pem: ca_certificate.pem(),
        certificate_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
        not_after: SystemTime::from(not_after),
    })
}
