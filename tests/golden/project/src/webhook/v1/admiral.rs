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

//! The webhooks of `Admiral` in `crew.testproject.org/v1`:
//! - defaulting: fills in what a Admiral leaves out, before it is validated and stored;
//!
//! served by the manager (`crate::operator` lists them); `make manifests` writes their
//! configurations.

use kubesmith::webhook::{AdmissionContext, Defaulter, Webhook, WebhookError};

use crate::api::v1::admiral::Admiral;

/// What `spec.foo` is set to when a Admiral is created without it.
pub const DEFAULT_FOO: &str = "default";

/// The admission webhooks of Admiral v1.
pub fn webhook() -> Webhook<Admiral> {
    Webhook::new().defaulter(AdmiralDefaulter)
}

/// Fills in the fields a Admiral leaves out.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdmiralDefaulter;

impl Defaulter<Admiral> for AdmiralDefaulter {
    async fn default(
        &self,
        admiral: &mut Admiral,
        _ctx: &AdmissionContext,
    ) -> Result<(), WebhookError> {
        // TODO(user): set your defaults.
        if admiral.spec.foo.is_none() {
            admiral.spec.foo = Some(DEFAULT_FOO.into());
        }
        Ok(())
    }
}
