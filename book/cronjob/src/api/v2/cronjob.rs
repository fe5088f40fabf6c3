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

//! `CronJob` in `batch.tutorial.kubesmith.dev/v2`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a CronJob asks for. Edit the fields: their doc comments become the CRD's descriptions
/// and their `#[k8s(...)]` markers its validation (`make manifests` writes it).
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "batch.tutorial.kubesmith.dev",
    version = "v2",
    kind = "CronJob",
    plural = "cronjobs",
    namespaced,
    status = "CronJobStatus",
    derive = "PartialEq",
    derive = "Default",
    storage = false
)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec {
    /// An example field; replace it with your own.
    #[k8s(max_length = 64, print_column)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foo: Option<String>,
}

/// What the controller observed of a CronJob.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronJobStatus {
    /// The current state: `Ready` says whether the controller has reconciled the spec of the
    /// generation it names.
    #[k8s(list_type = "map", list_map_keys = ["type"])]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
