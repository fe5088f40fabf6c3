//! Webhooks served by a manager running outside the cluster (`make run`, the flag
//! `--webhook-local`): the webhooks are called on the developer's machine, with the code being
//! worked on, instead of being switched off.
//!
//! - [`LocalWebhooks`]: the options — the address the API server calls back (chosen from
//!   where the API server runs, or given) and the port (a free one, or given).
//! - At start the manager listens there with a development CA and serving certificate made
//!   for that address, then points the cluster's webhook configurations and the conversions
//!   of its CRDs at `https://<host>:<port>/<path>` with that CA, recording in each object's
//!   annotation [`LOCAL_WEBHOOKS_ANNOTATION`] what to put back. It is ready only once the
//!   cluster points at it.
//! - When it stops (SIGINT, SIGTERM, a normal stop, an error) it puts back exactly what was
//!   there, entry by entry, leaving what others changed meanwhile; after a hard kill the next
//!   start finds the record and recovers.

mod address;
mod options;
mod redirect;

pub(crate) use address::LocalServer;
pub use options::{LocalWebhookError, LocalWebhooks};
pub use redirect::LOCAL_WEBHOOKS_ANNOTATION;
pub(crate) use redirect::{Redirection, Served, local_configuration_name};
