//! Writing desired state: server-side apply with a field manager, and create-or-update.
//!
//! ```no_run
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kube::{Api, Client};
//! use kubesmith::apply::{apply, create_or_update};
//!
//! # async fn example(client: Client) -> Result<(), kube::Error> {
//! let api: Api<ConfigMap> = Api::namespaced(client, "default");
//! let mut desired = ConfigMap::default();
//! desired.metadata.name = Some("settings".into());
//! apply(&api, &desired, "my-controller").await?;
//! create_or_update(&api, "other", |cm: &mut ConfigMap| {
//!     cm.data.get_or_insert_with(Default::default).insert("k".into(), "v".into());
//! })
//! .await?;
//! # Ok(()) }
//! ```

use std::fmt::Debug;

use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What [`create_or_update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationResult {
    /// The object did not exist and was created.
    Created,
    /// The object existed and the mutation changed it.
    Updated,
    /// The object existed and the mutation changed nothing; no write was made.
    Unchanged,
}

/// Server-side applies `object` (which must carry its name) as `field_manager`, taking over
/// conflicting fields (`force`), and returns the object as stored. `apiVersion` and `kind`
/// are filled in from the type.
pub async fn apply<K>(api: &Api<K>, object: &K, field_manager: &str) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + Debug,
{
    let body = typed_body(object)?;
    api.patch(
        &object.name_any(),
        &PatchParams::apply(field_manager).force(),
        &Patch::Apply(&body),
    )
    .await
}

/// Server-side applies the status subresource from `object`'s `status`.
pub async fn apply_status<K>(
    api: &Api<K>,
    object: &K,
    field_manager: &str,
) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + Debug,
{
    let body = typed_body(object)?;
    api.patch_status(
        &object.name_any(),
        &PatchParams::apply(field_manager).force(),
        &Patch::Apply(&body),
    )
    .await
}

/// Reads the object `name`, applies `mutate` and writes it back if anything changed; creates it
/// (after `mutate` on a default object with that name) when it does not exist.
/// A conflicting concurrent write fails with a 409, which the reconcile loop retries.
pub async fn create_or_update<K, F>(
    api: &Api<K>,
    name: &str,
    mutate: F,
) -> Result<(OperationResult, K), kube::Error>
where
    K: Resource + Clone + Default + Serialize + DeserializeOwned + Debug + PartialEq,
    F: FnOnce(&mut K),
{
    match api.get_opt(name).await? {
        None => {
            let mut object = K::default();
            object.meta_mut().name = Some(name.to_string());
            mutate(&mut object);
            let created = api.create(&PostParams::default(), &object).await?;
            Ok((OperationResult::Created, created))
        }
        Some(current) => {
            let mut object = current.clone();
            mutate(&mut object);
            if object == current {
                return Ok((OperationResult::Unchanged, current));
            }
            let updated = api.replace(name, &PostParams::default(), &object).await?;
            Ok((OperationResult::Updated, updated))
        }
    }
}

fn typed_body<K>(object: &K) -> Result<serde_json::Value, kube::Error>
where
    K: Resource<DynamicType = ()> + Serialize,
{
    let mut body = serde_json::to_value(object).map_err(kube::Error::SerdeError)?;
    if let Some(fields) = body.as_object_mut() {
        fields.insert("apiVersion".into(), K::api_version(&()).into());
        fields.insert("kind".into(), K::kind(&()).into());
        // Server-side apply owns what is sent; never send read-only metadata.
        if let Some(meta) = fields.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            for key in [
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "managedFields",
                "generation",
            ] {
                meta.remove(key);
            }
        }
    }
    Ok(body)
}
