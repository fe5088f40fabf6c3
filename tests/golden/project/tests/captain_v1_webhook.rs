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

//! The webhooks of Captain v1 called by a real API server (envtest; `make test`
//! provides the binaries): the operator's webhook configurations and CRD conversions point at
//! its manager, serving them on this machine.

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project::api::v1::captain::{Captain, CaptainSpec};
use ::project::api::v2;
use ::project::webhook::v1::captain;
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

    let namespace = env.create_namespace("captain").await?;
    let captains: Api<Captain> = Api::namespaced(env.client()?, &namespace);

    // Created without `foo`: the defaulting webhook fills it in.
    let defaulted = Captain::new("defaulted", CaptainSpec::default());
    let created = captains.create(&PostParams::default(), &defaulted).await?;
    assert_eq!(created.spec.foo.as_deref(), Some(captain::DEFAULT_FOO));

    // A blank `foo` is refused, with the field named.
    let blank = Captain::new(
        "blank",
        CaptainSpec {
            foo: Some(" ".into()),
        },
    );
    let refused = captains.create(&PostParams::default(), &blank).await;
    let Err(kube::Error::Api(status)) = refused else {
        panic!("a blank foo was not refused: {refused:?}");
    };
    assert_eq!(status.code, 422);
    assert!(status.message.contains("spec.foo"), "{}", status.message);

    // Written as v1, read as every other version (and back) through the conversion webhook.
    let hub = Captain::new(
        "converted",
        CaptainSpec {
            foo: Some("bar".into()),
        },
    );
    captains.create(&PostParams::default(), &hub).await?;
    let spoke: Api<v2::captain::Captain> = Api::namespaced(env.client()?, &namespace);
    let read = spoke.get("converted").await?;
    assert_eq!(read.spec.foo.as_deref(), Some("bar"));

    operator.stop().await?;
    Ok(())
}
