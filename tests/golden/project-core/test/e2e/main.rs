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
// +kubesmith:scaffold:e2e-modules

/// Where `make deploy` puts the operator: keep in step with `namespace` and `namePrefix` of
/// `config/default/kustomization.yaml`.
const OPERATOR: support::Operator = support::Operator {
    namespace: "project-core-system",
    name_prefix: "project-core-",
};
