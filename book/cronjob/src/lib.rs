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

//! The cronjob operator.
//!
//! - [`api`]: the custom resources, as Rust types with schema markers; `make manifests` writes
//!   their CRDs.
//! - [`controller`]: one controller per Kind, each a declaration (what it watches and owns,
//!   hence its RBAC rules) and a reconciler.
//! - `webhook` (after `kubesmith create webhook`): defaulting, validation and conversion.
//! - [`schedule`]: cron schedules, which the controller runs and the validating webhook checks.
//!
//! [`operator`] declares them once: `src/main.rs` runs it, `src/bin/manifests.rs` writes the
//! manifests of `config/` from it, and the tests start it against envtest.

use k8s_openapi::jiff::Timestamp;
use kubesmith::operator::Operator;

pub mod api;
pub mod controller;
pub mod schedule;
pub mod webhook;
// +kubesmith:scaffold:modules

// ANCHOR: operator
/// The cronjob operator: its CRDs, controllers and webhooks (`kubesmith create api`
/// and `kubesmith create webhook` add theirs here).
pub fn operator() -> Operator {
    Operator::new("cronjob", "tutorial.kubesmith.dev")
        .version(env!("CARGO_PKG_VERSION"))
        .crd::<api::v1::cronjob::CronJob>()
        // The reconciler registers its metrics on the manager's registry, and runs on the
        // system clock (its tests move the clock).
        .controller_with(controller::cronjob::controller(), |manager| {
            controller::cronjob::CronJobReconciler::new(manager, Timestamp::now)
        })
        .webhook(webhook::v1::cronjob::webhook())
        .crd::<api::v2::cronjob::CronJob>()
        .conversion(webhook::v1::cronjob::conversion())
    // +kubesmith:scaffold:operator
}
// ANCHOR_END: operator
