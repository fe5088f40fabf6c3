//! The webhooks in the cluster: every webhook configuration and CRD conversion that calls the
//! operator's webhook Service has the CA of its serving certificate injected (by cert-manager),
//! and objects of each version with webhooks are admitted — and converted — through that
//! Service. `kubesmith create webhook` adds the objects of new webhooks.

use std::fmt::Debug;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::ListParams;
use kube::{Resource, ResourceExt};
use project_self_managed::api;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::OPERATOR;
use crate::support::{Cluster, Error, Scoped};

#[tokio::test]
async fn the_webhooks_are_called_through_their_service_with_an_injected_ca() -> Result<(), Error> {
    let cluster = Cluster::connect(OPERATOR).await?;
    cluster
        .checks(async {
            let injected = ca_injected::<MutatingWebhookConfiguration>(&cluster).await?
                + ca_injected::<ValidatingWebhookConfiguration>(&cluster).await?
                + ca_injected::<CustomResourceDefinition>(&cluster).await?;
            if injected == 0 {
                return Err(format!(
                    "no webhook configuration or CRD calls the webhook Service {}: is the operator deployed?",
                    OPERATOR.name("webhook-service")
                )
                .into());
            }
            admitted::<api::v1::captain::Captain>(&cluster, "captain-v1").await?;
            admitted::<api::v2::captain::Captain>(&cluster, "captain-v2").await?;
            // +kubesmith:scaffold:e2e-webhooks
            Ok(())
        })
        .await
}

/// Applies a `K` named `name` with the default spec: its webhooks admit it, and, when `K` is
/// not the version stored, the conversion webhook converts it both ways.
async fn admitted<K>(cluster: &Cluster, name: &str) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Default + Clone + Debug + Serialize + DeserializeOwned,
    K::Scope: Scoped,
{
    let mut object = K::default();
    object.meta_mut().name = Some(name.to_string());
    cluster.apply(&cluster.api(), &object).await?;
    Ok(())
}

/// Waits until every `K` (webhook configuration or CRD) that calls the operator's webhook
/// Service has a CA bundle in each of those calls; returns how many there are.
async fn ca_injected<K>(cluster: &Cluster) -> Result<usize, Error>
where
    K: Resource<DynamicType = ()> + Clone + Debug + Serialize + DeserializeOwned + Send + 'static,
    K::Scope: Scoped,
{
    let api = cluster.api::<K>();
    let calling: Vec<String> = api
        .list(&ListParams::default())
        .await?
        .items
        .iter()
        .filter(|object| !webhook_calls(object).is_empty())
        .map(ResourceExt::name_any)
        .collect();
    for name in &calling {
        cluster
            .wait_for(&api, name, "given the webhook CA", |object: Option<&K>| {
                object.is_some_and(|object| {
                    let calls = webhook_calls(object);
                    !calls.is_empty() && calls.iter().all(|has_ca| *has_ca)
                })
            })
            .await?;
    }
    Ok(calling.len())
}

/// For each `clientConfig` in `object` that calls the operator's webhook Service: whether it
/// carries a CA bundle.
fn webhook_calls(object: &impl Serialize) -> Vec<bool> {
    fn collect(value: &Value, service: &str, out: &mut Vec<bool>) {
        match value {
            Value::Object(map) => {
                if let Some(config) = map.get("clientConfig")
                    && config["service"]["namespace"] == OPERATOR.namespace
                    && config["service"]["name"] == service
                {
                    out.push(config["caBundle"].as_str().is_some_and(|ca| !ca.is_empty()));
                }
                map.values().for_each(|item| collect(item, service, out));
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, service, out)),
            _ => {}
        }
    }
    let mut calls = Vec::new();
    let value = serde_json::to_value(object).unwrap_or_default();
    collect(&value, &OPERATOR.name("webhook-service"), &mut calls);
    calls
}
