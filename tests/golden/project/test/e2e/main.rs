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

//! End-to-end tests of the operator running in a cluster. `make test-e2e` builds the image,
//! loads it into the cluster, deploys it (with cert-manager when the webhooks need it) into a
//! namespace that enforces the `restricted` Pod Security level, runs these tests, then removes
//! what it deployed; `make deploy-e2e`, `make run-e2e` and `make undeploy-e2e` are its steps.
//!
//! Each test waits for what it checks (watches, up to `E2E_TIMEOUT` seconds, 300 by default)
//! and, when a check fails, prints what the cluster says: the pods of the operator's namespace
//! with their logs, and its events. `kubesmith create api` and `create webhook` add the checks
//! of new Kinds and webhooks; add the checks of what your operator does beside them.

mod manager;
mod samples;
mod support;
mod webhooks;
// +kubesmith:scaffold:e2e-modules

/// Where `make deploy` puts the operator: keep in step with `namespace` and `namePrefix` of
/// `config/default/kustomization.yaml`.
const OPERATOR: support::Operator = support::Operator {
    namespace: "project-system",
    name_prefix: "project-",
};
