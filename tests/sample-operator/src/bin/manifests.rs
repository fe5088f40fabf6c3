//! `make manifests`: the Greeting CRD (both versions, converted by the webhook), the
//! controller's RBAC role and the webhook configurations, from the types and the declarations,
//! written under `./config` (`--check`: only compare).

use std::process::ExitCode;

use greeting_operator::api::{v1, v2};
use greeting_operator::controller::controller;
use greeting_operator::webhook::{conversion, webhook};
use kubesmith::manifests::Manifests;

fn main() -> ExitCode {
    Manifests::new(".")
        .crd::<v1::Greeting>()
        .crd::<v2::Greeting>()
        .controller(&controller())
        .webhook(&webhook())
        .conversion(&conversion())
        .main()
}
