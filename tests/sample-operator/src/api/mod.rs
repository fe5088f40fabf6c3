//! The `Greeting` API, group `demo.kubesmith.dev`: [`v1`] (storage version and conversion hub)
//! and [`v2`] (the message renamed to `text`). The v1 types are re-exported here.

pub mod v1;
pub mod v2;

pub use v1::{Greeting, GreetingSpec, GreetingStatus};

/// The CRD with both versions, v1 stored.
pub fn crd()
-> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
    use kube::CustomResourceExt;
    kube::core::crd::merge_crds(vec![v1::Greeting::crd(), v2::Greeting::crd()], "v1")
        .unwrap_or_else(|error| {
            unreachable!("the versions of Greeting share group, kind and scope: {error}")
        })
}
