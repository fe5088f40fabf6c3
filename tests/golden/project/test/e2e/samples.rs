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

//! The controllers in the cluster: a sample of each Kind they reconcile is applied (with its
//! spec's defaults) and reconciled to `Ready`, the condition the scaffolded reconcilers set
//! (`Available` for a Kind of the deploy-image plugin, whose pods must then run).
//! `kubesmith create api` adds the sample of each new Kind; give them the specs your
//! reconcilers need as they grow.

use std::fmt::Debug;

use kube::Resource;
use project::api;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::OPERATOR;
use crate::support::{Cluster, Error, Scoped};

#[tokio::test]
async fn a_sample_of_each_kind_is_reconciled_to_ready() -> Result<(), Error> {
    let cluster = Cluster::connect(OPERATOR).await?;
    cluster
        .checks(async {
            reconciled::<api::v1::captain::Captain>(&cluster, "captain-sample").await?;
            reconciled::<api::v1::admiral::Admiral>(&cluster, "admiral-sample").await?;
            // +kubesmith:scaffold:e2e-samples
            Ok(())
        })
        .await
}

/// Applies a `K` named `name` with the default spec and waits until it is `Ready` (or
/// `Available`) for its current generation.
async fn reconciled<K>(cluster: &Cluster, name: &str) -> Result<(), Error>
where
    K: Resource<DynamicType = ()>
        + Default
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned
        + Send
        + 'static,
    K::Scope: Scoped,
{
    let mut sample = K::default();
    sample.meta_mut().name = Some(name.to_string());
    let api = cluster.api::<K>();
    cluster.apply(&api, &sample).await?;
    cluster.wait_for(&api, name, "Ready", is_ready::<K>).await?;
    Ok(())
}

/// Whether `object` has the condition `Ready=True` (or `Available=True`) for the generation
/// it is at.
fn is_ready<K: Resource + Serialize>(object: Option<&K>) -> bool {
    let Some(object) = object else {
        return false;
    };
    let generation = object.meta().generation;
    let status = serde_json::to_value(object).unwrap_or_default();
    status["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|condition| {
            (condition["type"] == "Ready" || condition["type"] == "Available")
                && condition["status"] == "True"
                && condition["observedGeneration"].as_i64() == generation
        })
}
