// Copyright 2026 The Kubesmith Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//! The project operator.
//!
//! - [`api`]: the custom resources, as Rust types with schema markers; `make manifests` writes
//!   their CRDs.
//! - [`controller`]: one controller per Kind, each a declaration (what it watches and owns,
//!   hence its RBAC rules) and a reconciler.
//! - `webhook` (after `kubesmith create webhook`): defaulting, validation and conversion.
//!
//! [`operator`] declares them once: `src/main.rs` runs it, `src/bin/manifests.rs` writes the
//! manifests of `config/` from it, and the tests start it against envtest.

use kubesmith::operator::Operator;

pub mod api;
pub mod controller;
pub mod webhook;
// +kubesmith:scaffold:modules

/// The project operator: its CRDs, controllers and webhooks (`kubesmith create api`
/// and `kubesmith create webhook` add theirs here).
pub fn operator() -> Operator {
    Operator::new("project", "testproject.org")
        .version(env!("CARGO_PKG_VERSION"))
        .crd::<api::v1::captain::Captain>()
        .controller(
            controller::captain::controller(),
            controller::captain::CaptainReconciler,
        )
        .crd::<api::v1::admiral::Admiral>()
        .controller(
            controller::admiral::controller(),
            controller::admiral::AdmiralReconciler,
        )
        .crd::<api::v2::captain::Captain>()
        .webhook(webhook::v1::captain::webhook())
        .conversion(webhook::v1::captain::conversion())
        .webhook(webhook::v1::admiral::webhook())
    // +kubesmith:scaffold:operator
}
