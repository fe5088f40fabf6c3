//! `make manifests`: the Greeting CRD and the controller's RBAC role, from the types and the
//! controller declaration, written under `./config` (`--check`: only compare).

use std::process::ExitCode;

use greeting_operator::api::Greeting;
use greeting_operator::controller::controller;
use kubesmith::manifests::Manifests;

fn main() -> ExitCode {
    Manifests::new(".")
        .crd::<Greeting>()
        .controller(&controller())
        .main()
}
