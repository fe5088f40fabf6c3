//! Pointing the cluster at a local webhook server, and back.
//!
//! - Every MutatingWebhookConfiguration and ValidatingWebhookConfiguration entry that calls a
//!   path this manager serves (matched by path: `/mutate-<group>-<version>-<kind>`, the same
//!   declarations `make manifests` writes) gets `url: https://<host>:<port>/<path>` and the
//!   development CA as its `caBundle`; so does `spec.conversion` of every CRD it converts.
//! - Webhooks no configuration calls (`make install` installs CRDs only) go into a
//!   configuration made for them, `<name>-local-webhooks`, deleted again at the end.
//! - Each patched object records what it was pointed at and what to put back in its
//!   annotation [`LOCAL_WEBHOOKS_ANNOTATION`]; cert-manager's CA-injection annotations are
//!   moved into that record meanwhile, or the injector would put the cluster's CA back.
//! - Every patch is a JSON patch that first tests the `resourceVersion` it was computed from,
//!   retried on a fresh read when the object changed, and touches only those fields: changes
//!   others make to the rest of the object are kept.
//! - Putting back reads the record from the object: an entry someone re-pointed meanwhile is
//!   left as they made it. After a hard kill the next start finds the record, keeps its
//!   originals (not the dead URL) and puts them back when it stops.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
    Preconditions,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::options::LocalWebhookError;
use crate::webhook::configuration::{AdmissionWebhooks, ClientConfig, configurations, served_path};

/// The annotation of an object pointed at a local webhook server: JSON recording the URL it
/// points at and what to put back.
pub const LOCAL_WEBHOOKS_ANNOTATION: &str = "kubesmith.dev/local-webhooks";
/// The annotations of cert-manager's CA injector start with this.
const CA_INJECTION_PREFIX: &str = "cert-manager.io/inject-";
/// How often a patch is computed again when the object changed in between.
const ATTEMPTS: usize = 10;

/// The name of the configurations made for webhooks no configuration calls:
/// `<id>-local-webhooks`, `id` being the manager's leader-election id (`kubesmith` without one).
pub(crate) fn local_configuration_name(id: &str) -> String {
    let id = if id.is_empty() { "kubesmith" } else { id };
    format!("{id}-local-webhooks")
}

/// What [`LOCAL_WEBHOOKS_ANNOTATION`] holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    /// `https://<host>:<port>`: where the object points.
    url: String,
    /// The original `clientConfig` of each webhook pointed here, by webhook name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    webhooks: BTreeMap<String, Value>,
    /// A CRD's original `spec.conversion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conversion: Option<Value>,
    /// Annotations taken off meanwhile (cert-manager's CA injection).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    /// The configuration was made for the local webhooks (it is deleted at the end).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    created: bool,
}

/// The kinds of object pointed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Mutating,
    Validating,
    Crd,
}

impl Target {
    fn kind(self) -> &'static str {
        match self {
            Target::Mutating => "MutatingWebhookConfiguration",
            Target::Validating => "ValidatingWebhookConfiguration",
            Target::Crd => "CustomResourceDefinition",
        }
    }

    fn api(self, client: &Client) -> Api<DynamicObject> {
        let resource = match self {
            Target::Mutating => ApiResource::erase::<MutatingWebhookConfiguration>(&()),
            Target::Validating => ApiResource::erase::<ValidatingWebhookConfiguration>(&()),
            Target::Crd => ApiResource::erase::<CustomResourceDefinition>(&()),
        };
        Api::all_with(client.clone(), &resource)
    }

    /// The paths of `webhooks` a configuration of this kind calls.
    fn paths(self, webhooks: &[AdmissionWebhooks]) -> BTreeMap<String, AdmissionWebhooks> {
        webhooks
            .iter()
            .filter_map(|webhook| {
                let path = match self {
                    Target::Mutating if webhook.is_defaulting() => webhook.mutate_path(),
                    Target::Validating if webhook.is_validating() => webhook.validate_path(),
                    _ => return None,
                };
                Some((path, webhook.clone()))
            })
            .collect()
    }
}

/// What this manager serves, to point the cluster at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Served<'a> {
    /// The admission webhooks.
    pub(crate) webhooks: &'a [AdmissionWebhooks],
    /// The CRDs converted.
    pub(crate) crds: &'a [String],
    /// The name of the configurations made for webhooks no configuration calls.
    pub(crate) configuration_name: &'a str,
}

/// The objects pointed at a local webhook server, to put back with [`restore`](Self::restore).
pub(crate) struct Redirection {
    client: Client,
    base: String,
    pointed: Vec<(Target, String)>,
    created: Vec<(Target, String)>,
}

impl Redirection {
    /// Points the cluster at `base` (`https://<host>:<port>`), trusted through `ca_pem`, for
    /// what `served` lists. On an error, what was pointed already is put back.
    pub(crate) async fn point(
        client: &Client,
        base: &str,
        ca_pem: &str,
        served: Served<'_>,
    ) -> Result<Redirection, LocalWebhookError> {
        let mut redirection = Redirection {
            client: client.clone(),
            base: base.to_string(),
            pointed: Vec::new(),
            created: Vec::new(),
        };
        match redirection.point_all(ca_pem, served).await {
            Ok(()) => Ok(redirection),
            Err(error) => {
                redirection.restore().await;
                Err(error)
            }
        }
    }

    async fn point_all(
        &mut self,
        ca_pem: &str,
        served: Served<'_>,
    ) -> Result<(), LocalWebhookError> {
        use base64::Engine;
        let ca_bundle = base64::engine::general_purpose::STANDARD.encode(ca_pem);
        for target in [Target::Mutating, Target::Validating] {
            self.remove_leftover(target, served.configuration_name)
                .await?;
            let wanted = target.paths(served.webhooks);
            if wanted.is_empty() {
                continue;
            }
            let paths: BTreeSet<String> = wanted.keys().cloned().collect();
            let listed = target
                .api(&self.client)
                .list(&ListParams::default())
                .await
                .map_err(api_error(format!("listing {}s", target.kind())))?;
            let mut found = BTreeSet::new();
            for object in listed {
                let name = object.metadata.name.clone().unwrap_or_default();
                let calls_ours = webhooks_of(&object)
                    .iter()
                    .filter_map(|webhook| path_of(&webhook["clientConfig"]))
                    .any(|path| paths.contains(&path));
                if name != served.configuration_name && calls_ours {
                    found.extend(
                        self.point_configuration(target, &name, &paths, &ca_bundle)
                            .await?,
                    );
                }
            }
            let missing: Vec<AdmissionWebhooks> = wanted
                .into_iter()
                .filter(|(path, _)| !found.contains(path))
                .map(|(_, webhook)| webhook)
                .collect();
            if !missing.is_empty() {
                self.create_configuration(target, served.configuration_name, &missing, ca_pem)
                    .await?;
            }
        }
        for crd in served.crds {
            self.point_crd(crd, ca_pem).await?;
        }
        Ok(())
    }

    /// Points the entries of configuration `name` that call one of `paths` here; returns the
    /// paths found.
    async fn point_configuration(
        &mut self,
        target: Target,
        name: &str,
        paths: &BTreeSet<String>,
        ca_bundle: &str,
    ) -> Result<Vec<String>, LocalWebhookError> {
        let api = target.api(&self.client);
        for _ in 0..ATTEMPTS {
            let Some(object) = get(&api, target, name).await? else {
                return Ok(Vec::new());
            };
            let previous = record_of(&object);
            let mut record = self.record_after(previous.as_ref());
            let mut ops = vec![test_version(&object)];
            let mut found = Vec::new();
            for (index, webhook) in webhooks_of(&object).iter().enumerate() {
                let client_config = &webhook["clientConfig"];
                let Some(path) = path_of(client_config).filter(|path| paths.contains(path)) else {
                    continue;
                };
                let webhook_name = webhook["name"].as_str().unwrap_or_default().to_string();
                let original = previous
                    .as_ref()
                    .filter(|previous| points_at(client_config, &previous.url))
                    .and_then(|previous| previous.webhooks.get(&webhook_name).cloned())
                    .unwrap_or_else(|| client_config.clone());
                record.webhooks.insert(webhook_name, original);
                ops.push(json!({
                    "op": "replace",
                    "path": format!("/webhooks/{index}/clientConfig"),
                    "value": {"url": format!("{}{path}", self.base), "caBundle": ca_bundle},
                }));
                found.push(path);
            }
            if found.is_empty() {
                return Ok(found);
            }
            ops.extend(suspend_ca_injection(&object, &mut record));
            ops.push(set_record(&object, &record));
            if apply(&api, target, name, ops).await? {
                tracing::info!(kind = target.kind(), %name, paths = ?found, url = %self.base, "webhooks pointed at this process");
                self.pointed.push((target, name.to_string()));
                return Ok(found);
            }
        }
        Err(kept_changing(target, name))
    }

    /// Points the conversion of CRD `name` here.
    async fn point_crd(&mut self, name: &str, ca_pem: &str) -> Result<(), LocalWebhookError> {
        let target = Target::Crd;
        let api = target.api(&self.client);
        let conversion = ClientConfig::Url {
            base: self.base.clone(),
            ca_bundle: ca_pem.as_bytes().to_vec(),
        }
        .crd_conversion();
        let conversion = serde_json::to_value(conversion).map_err(|error| {
            api_error(format!("encoding the conversion of {name}"))(kube::Error::SerdeError(error))
        })?;
        for _ in 0..ATTEMPTS {
            let object = get(&api, target, name)
                .await?
                .ok_or_else(|| LocalWebhookError::CrdNotInstalled(name.to_string()))?;
            let previous = record_of(&object);
            let mut record = self.record_after(previous.as_ref());
            let current = object.data["spec"]["conversion"].clone();
            let original = previous
                .as_ref()
                .filter(|previous| points_at(&current["webhook"]["clientConfig"], &previous.url))
                .and_then(|previous| previous.conversion.clone())
                .unwrap_or(current);
            record.conversion = Some(original);
            let mut ops = vec![
                test_version(&object),
                json!({"op": "add", "path": "/spec/conversion", "value": conversion}),
            ];
            ops.extend(suspend_ca_injection(&object, &mut record));
            ops.push(set_record(&object, &record));
            if apply(&api, target, name, ops).await? {
                tracing::info!(crd = %name, url = %self.base, "conversion pointed at this process");
                self.pointed.push((target, name.to_string()));
                return Ok(());
            }
        }
        Err(kept_changing(target, name))
    }

    /// The record of an object pointed here now: the annotations an earlier run took off (a
    /// run that ended without putting them back) stay recorded.
    fn record_after(&self, previous: Option<&Record>) -> Record {
        Record {
            url: self.base.clone(),
            annotations: previous
                .map(|previous| previous.annotations.clone())
                .unwrap_or_default(),
            ..Record::default()
        }
    }

    /// Makes configuration `name` of `target`'s kind for `webhooks`, pointed here.
    async fn create_configuration(
        &mut self,
        target: Target,
        name: &str,
        webhooks: &[AdmissionWebhooks],
        ca_pem: &str,
    ) -> Result<(), LocalWebhookError> {
        let client_config = ClientConfig::Url {
            base: self.base.clone(),
            ca_bundle: ca_pem.as_bytes().to_vec(),
        };
        let (mutating, validating) = configurations(webhooks, &client_config);
        let encoded = match target {
            Target::Mutating => serde_json::to_value(mutating),
            Target::Validating => serde_json::to_value(validating),
            Target::Crd => Ok(Value::Null),
        };
        let action = || format!("creating {} {name}", target.kind());
        let mut object: DynamicObject = encoded
            .and_then(serde_json::from_value)
            .map_err(|error| api_error(action())(kube::Error::SerdeError(error)))?;
        let record = Record {
            url: self.base.clone(),
            created: true,
            ..Record::default()
        };
        object.metadata.name = Some(name.to_string());
        object.metadata.annotations = Some(BTreeMap::from([(
            LOCAL_WEBHOOKS_ANNOTATION.to_string(),
            encode(&record),
        )]));
        target
            .api(&self.client)
            .create(&PostParams::default(), &object)
            .await
            .map_err(api_error(action()))?;
        tracing::info!(kind = target.kind(), %name, url = %self.base, "webhooks no configuration calls get one pointed at this process");
        self.created.push((target, name.to_string()));
        Ok(())
    }

    /// Deletes configuration `name` of `target`'s kind left by a run that could not delete it.
    async fn remove_leftover(&self, target: Target, name: &str) -> Result<(), LocalWebhookError> {
        let api = target.api(&self.client);
        let Some(object) = get(&api, target, name).await? else {
            return Ok(());
        };
        if !record_of(&object).is_some_and(|record| record.created) {
            return Err(LocalWebhookError::NameTaken {
                kind: target.kind(),
                name: name.to_string(),
            });
        }
        tracing::info!(kind = target.kind(), %name, "deleting the configuration an earlier local run left");
        delete(&api, target, &object).await
    }

    /// Puts back everything pointed here and deletes what was made; best effort: what fails
    /// is logged (the next start recovers it).
    pub(crate) async fn restore(&self) {
        let mut restored = true;
        for (target, name) in self.pointed.iter().rev() {
            if let Err(error) = self.restore_object(*target, name).await {
                tracing::error!(%error, kind = target.kind(), %name, "could not put back what the local webhooks changed; the next start with --webhook-local will");
                restored = false;
            }
        }
        for (target, name) in &self.created {
            let api = target.api(&self.client);
            let deleted = match get(&api, *target, name).await {
                Ok(Some(object))
                    if record_of(&object).is_some_and(|record| record.url == self.base) =>
                {
                    delete(&api, *target, &object).await
                }
                Ok(_) => Ok(()),
                Err(error) => Err(error),
            };
            if let Err(error) = deleted {
                tracing::error!(%error, kind = target.kind(), %name, "could not delete the configuration of the local webhooks; the next start with --webhook-local will");
                restored = false;
            }
        }
        if restored {
            tracing::info!("the webhook configurations and conversions are as they were");
        }
    }

    /// Puts back the entries of `name` that still point here, and its annotations.
    async fn restore_object(&self, target: Target, name: &str) -> Result<(), LocalWebhookError> {
        let api = target.api(&self.client);
        for _ in 0..ATTEMPTS {
            let Some(object) = get(&api, target, name).await? else {
                return Ok(());
            };
            let Some(record) = record_of(&object).filter(|record| record.url == self.base) else {
                tracing::warn!(kind = target.kind(), %name, "no longer pointed at this process; left as it is");
                return Ok(());
            };
            let mut ops = vec![test_version(&object)];
            let mut left = Vec::new();
            if target == Target::Crd {
                let current = &object.data["spec"]["conversion"]["webhook"]["clientConfig"];
                match &record.conversion {
                    Some(original) if points_at(current, &self.base) => ops
                        .push(json!({"op": "add", "path": "/spec/conversion", "value": original})),
                    _ => left.push("spec.conversion".to_string()),
                }
            }
            for (index, webhook) in webhooks_of(&object).iter().enumerate() {
                let webhook_name = webhook["name"].as_str().unwrap_or_default();
                let Some(original) = record.webhooks.get(webhook_name) else {
                    continue;
                };
                if points_at(&webhook["clientConfig"], &self.base) {
                    ops.push(json!({
                        "op": "replace",
                        "path": format!("/webhooks/{index}/clientConfig"),
                        "value": original,
                    }));
                } else {
                    left.push(webhook_name.to_string());
                }
            }
            let annotations = object.metadata.annotations.clone().unwrap_or_default();
            for (key, value) in &record.annotations {
                if !annotations.contains_key(key) {
                    ops.push(json!({"op": "add", "path": annotation_path(key), "value": value}));
                }
            }
            ops.push(json!({"op": "remove", "path": annotation_path(LOCAL_WEBHOOKS_ANNOTATION)}));
            if apply(&api, target, name, ops).await? {
                if !left.is_empty() {
                    tracing::warn!(kind = target.kind(), %name, changed = ?left, "changed by someone else while pointed here; left as they made it");
                }
                return Ok(());
            }
        }
        Err(kept_changing(target, name))
    }
}

/// The webhooks of a configuration (none for other objects).
fn webhooks_of(object: &DynamicObject) -> Vec<Value> {
    object.data["webhooks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The path a `clientConfig` calls.
fn path_of(client_config: &Value) -> Option<String> {
    served_path(
        client_config["service"]["path"].as_str(),
        client_config["url"].as_str(),
    )
}

/// Whether a `clientConfig` calls a path at `base`.
fn points_at(client_config: &Value, base: &str) -> bool {
    client_config["url"]
        .as_str()
        .and_then(|url| url.strip_prefix(base))
        .is_some_and(|rest| rest.starts_with('/'))
}

fn record_of(object: &DynamicObject) -> Option<Record> {
    let text = object
        .metadata
        .annotations
        .as_ref()?
        .get(LOCAL_WEBHOOKS_ANNOTATION)?;
    serde_json::from_str(text).ok()
}

fn encode(record: &Record) -> String {
    // A record of strings and JSON values always encodes.
    serde_json::to_string(record).unwrap_or_default()
}

/// The JSON pointer of annotation `key`.
fn annotation_path(key: &str) -> String {
    format!(
        "/metadata/annotations/{}",
        key.replace('~', "~0").replace('/', "~1")
    )
}

/// The op that makes the patch fail when the object changed since it was read.
fn test_version(object: &DynamicObject) -> Value {
    json!({
        "op": "test",
        "path": "/metadata/resourceVersion",
        "value": object.metadata.resource_version.clone().unwrap_or_default(),
    })
}

/// The ops setting the record annotation.
fn set_record(object: &DynamicObject, record: &Record) -> Value {
    if object.metadata.annotations.is_some() {
        json!({"op": "add", "path": annotation_path(LOCAL_WEBHOOKS_ANNOTATION), "value": encode(record)})
    } else {
        json!({"op": "add", "path": "/metadata/annotations", "value": {LOCAL_WEBHOOKS_ANNOTATION: encode(record)}})
    }
}

/// The ops taking cert-manager's CA-injection annotations off, recorded in `record`.
fn suspend_ca_injection(object: &DynamicObject, record: &mut Record) -> Vec<Value> {
    let annotations = object.metadata.annotations.clone().unwrap_or_default();
    annotations
        .into_iter()
        .filter(|(key, _)| key.starts_with(CA_INJECTION_PREFIX))
        .map(|(key, value)| {
            let op = json!({"op": "remove", "path": annotation_path(&key)});
            record.annotations.insert(key, value);
            op
        })
        .collect()
}

async fn get(
    api: &Api<DynamicObject>,
    target: Target,
    name: &str,
) -> Result<Option<DynamicObject>, LocalWebhookError> {
    api.get_opt(name)
        .await
        .map_err(api_error(format!("reading {} {name}", target.kind())))
}

/// Applies the JSON patch `ops`; `false` when the object changed since it was read (the
/// version test failed, or the API server saw a conflict).
async fn apply(
    api: &Api<DynamicObject>,
    target: Target,
    name: &str,
    ops: Vec<Value>,
) -> Result<bool, LocalWebhookError> {
    let action = || format!("patching {} {name}", target.kind());
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops))
        .map_err(|error| api_error(action())(kube::Error::SerdeError(error)))?;
    match api
        .patch(name, &PatchParams::default(), &Patch::Json::<()>(patch))
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.is_conflict() || status.code == 422 => Ok(false),
        Err(error) => Err(api_error(action())(error)),
    }
}

/// Deletes `object` if it is still the same object (its uid).
async fn delete(
    api: &Api<DynamicObject>,
    target: Target,
    object: &DynamicObject,
) -> Result<(), LocalWebhookError> {
    let name = object.metadata.name.clone().unwrap_or_default();
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: object.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(error) => Err(api_error(format!("deleting {} {name}", target.kind()))(
            error,
        )),
    }
}

fn kept_changing(target: Target, name: &str) -> LocalWebhookError {
    LocalWebhookError::KeptChanging {
        kind: target.kind(),
        name: name.to_string(),
        attempts: ATTEMPTS,
    }
}

fn api_error(action: String) -> impl FnOnce(kube::Error) -> LocalWebhookError {
    move |source| LocalWebhookError::Api { action, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_points_at_a_base_only_with_a_path_after_it() {
        let base = "https://127.0.0.1:9443";
        assert!(points_at(
            &json!({"url": "https://127.0.0.1:9443/convert"}),
            base
        ));
        assert!(!points_at(
            &json!({"url": "https://127.0.0.1:94430/convert"}),
            base
        ));
        assert!(!points_at(&json!({"service": {"path": "/convert"}}), base));
    }

    #[test]
    fn annotation_keys_are_escaped_in_pointers() {
        assert_eq!(
            annotation_path("cert-manager.io/inject-ca-from"),
            "/metadata/annotations/cert-manager.io~1inject-ca-from"
        );
    }

    #[test]
    fn records_round_trip_and_leave_out_what_is_empty() {
        let record = Record {
            url: "https://10.0.0.1:1".into(),
            created: true,
            ..Record::default()
        };
        let text = encode(&record);
        assert_eq!(text, r#"{"url":"https://10.0.0.1:1","created":true}"#);
        assert_eq!(serde_json::from_str::<Record>(&text).ok(), Some(record));
    }
}
