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

//! The Admiral controller: its declaration (what it reconciles, owns and watches, from which
//! `make manifests` derives its RBAC rules) and its reconciler.

use kubesmith::conditions::{ConditionBuilder, READY};
use kubesmith::prelude::*;

use crate::api::v1::admiral::Admiral;

/// What the Admiral controller is: it reconciles Admirals. Declare here what else it
/// touches (`.owns::<Deployment>()` for objects it creates, `.reads::<Secret>()` for objects
/// it reads, `.watches(...)` for objects that trigger it): the manager runs what it declares,
/// and `make manifests` grants what it declares (`crate::operator` lists it).
pub fn controller() -> Controller<Admiral> {
    Controller::new()
}

/// Brings the cluster to what a Admiral asks for, and reports it in the Admiral's status.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdmiralReconciler;

impl Reconciler<Admiral> for AdmiralReconciler {
    async fn reconcile(
        &self,
        admiral: Arc<Admiral>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        // `admiral` is the latest version in the manager's cache. Read other kinds
        // from the cache too (declare them with `.reads` or `.owns`): no request reaches the
        // API server.

        // TODO(user): make the cluster match `admiral.spec`, e.g. create or update
        // the objects it describes with
        // `ctx.namespaced::<ConfigMap>(namespace).create_or_update(...)`.

        // Report the generation just reconciled. A status that is already current sends no
        // request.
        let ready = ConditionBuilder::new(READY, true, "Reconciled")
            .message("the spec is reconciled")
            .observing(&*admiral);
        let admirals = ctx.all::<Admiral>();
        let written = admirals
            .update_status(&admiral, |admiral| {
                let status = admiral.status.get_or_insert_with(Default::default);
                status.conditions.set(ready);
            })
            .await?;
        if written != OperationResult::Unchanged {
            // Tell `kubectl describe` readers, once per change.
            let generation = admiral.metadata.generation.unwrap_or_default();
            let note = format!("generation {generation} is reconciled");
            ctx.event(&*admiral, "Reconciled", note).await;
        }
        Ok(Action::await_change())
    }
}
