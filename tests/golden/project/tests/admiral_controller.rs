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

//! The Admiral controller against a real API server (envtest; `make test` provides the
//! binaries), run by the operator as `main` runs it: a Admiral is created and reconciled to
//! `Ready`.

use std::time::Duration;

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project::api::v1::admiral::Admiral;
use kube::Api;
use kube::api::PostParams;
use kubesmith::conditions::READY;
use kubesmith::envtest::{SharedEnvironment, wait_for};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

#[tokio::test]
async fn admiral_is_reconciled_to_ready() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project::operator()).await?;

    let admirals: Api<Admiral> = Api::all(env.client()?);
    let sample = Admiral::new("sample", Default::default());
    admirals.create(&PostParams::default(), &sample).await?;

    // Ready, for the generation created.
    wait_for(&admirals, "sample", Duration::from_secs(30), |admiral| {
        admiral
            .status
            .as_ref()
            .is_some_and(|status| status.conditions.is_current(READY, admiral))
    })
    .await?;
    operator.stop().await?;
    Ok(())
}
