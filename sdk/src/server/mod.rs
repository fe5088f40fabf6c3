//! What the manager's HTTPS endpoints (metrics, webhooks) share: a small hyper server with
//! timeouts, TLS from certificate files or a self-signed certificate, and a certificate that
//! follows its files.

pub mod certificates;
pub mod certwatcher;
pub(crate) mod http;
pub mod tls;
