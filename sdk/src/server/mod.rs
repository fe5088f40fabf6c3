//! What the manager's HTTPS endpoints share: a small hyper server and TLS from certificate
//! files or a self-signed certificate.

pub(crate) mod http;
pub mod tls;
