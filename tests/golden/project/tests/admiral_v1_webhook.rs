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

//! The webhooks of Admiral v1 called by a real API server (envtest; `make test`
//! provides the binaries): the operator's webhook configurations point at
//! its manager, serving them on this machine.

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project::api::v1::admiral::{Admiral, AdmiralSpec};
use ::project::webhook::v1::admiral;
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::SharedEnvironment;

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

#[tokio::test]
async fn the_api_server_calls_the_webhooks() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project::operator()).await?;

    let admirals: Api<Admiral> = Api::all(env.client()?);

    // Created without `foo`: the defaulting webhook fills it in.
    let defaulted = Admiral::new("defaulted", AdmiralSpec::default());
    let created = admirals.create(&PostParams::default(), &defaulted).await?;
    assert_eq!(created.spec.foo.as_deref(), Some(admiral::DEFAULT_FOO));

    operator.stop().await?;
    Ok(())
}
