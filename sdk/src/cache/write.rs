//! Writes through [`CachedApi`]: each sends the API server only the requests its outcome
//! needs. The current object comes from the cache, a write is skipped when it would change
//! nothing (compared as the desired object sets it, see [`super::desired`]: fields it leaves
//! unset are the server's), and a stale cached read (a 409) is answered with one live read
//! and one retry.
//!
//! Every successful write is remembered until the watch delivers it: reads of that object
//! (and reconciles of it) wait for it rather than act on the version before the write, which
//! would only lead to a redundant write or a conflict.

use std::sync::Arc;

use kube::ResourceExt;
use kube::api::{Patch, PatchParams, PostParams};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use super::api::CachedApi;
use super::desired::{self, Part};
use super::error::WriteError;
use super::kind::{Kind, kind_name};
use super::ownership;

/// An error a mutation may return; nothing is written then.
pub type MutateError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationResult {
    /// The object did not exist and was created.
    Created,
    /// The object existed and was changed.
    Updated,
    /// The object already was as desired; no request was sent.
    Unchanged,
}

impl<K> CachedApi<K>
where
    K: Kind + Serialize + JsonSchema + Default + PartialEq,
{
    /// Makes the object `name` what `mutate` says: reads it from the cache, applies `mutate`
    /// to a copy and sends an update only when the copy sets something the cached object
    /// does not hold; creates it (`mutate` applied to a default object with this name and
    /// namespace) when the cache does not have it.
    ///
    /// The copy is compared as `mutate` leaves it: a field of a struct that it leaves unset
    /// (`None`) is the server's, so `mutate` may rebuild the spec in full
    /// (`deployment.spec = Some(desired)`) without the defaults the API server fills in
    /// (`strategy`, a port's `protocol`, ...) and still send nothing once they agree. Keys of
    /// maps (labels, annotations, `data`) and items of lists compare exactly, and
    /// quantities by value. To clear a field the server does not default, set it to an empty
    /// value rather than `None`, or use [`apply`](Self::apply), whose field ownership makes a
    /// field left out a field removed.
    ///
    /// One request when something changes, none otherwise. When the cache was behind (the
    /// create finds the object, or the update meets a newer version), the object is read once
    /// from the API server and the mutation applied again.
    ///
    /// ```no_run
    /// use k8s_openapi::api::core::v1::ConfigMap;
    /// # async fn example(cache: &kubesmith::cache::Cache, owner: &ConfigMap) -> Result<(), kubesmith::cache::WriteError> {
    /// let config_maps = cache.namespaced::<ConfigMap>("default");
    /// let (result, stored) = config_maps
    ///     .create_or_update("settings", |cm| {
    ///         cm.data.get_or_insert_with(Default::default).insert("mode".into(), "fast".into());
    ///         kubesmith::owner::set_controller_reference(owner, cm)?;
    ///         Ok(())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_or_update(
        &self,
        name: &str,
        mut mutate: impl FnMut(&mut K) -> Result<(), MutateError>,
    ) -> Result<(OperationResult, Arc<K>), WriteError> {
        let current = match self.get(name).await? {
            Some(current) => current,
            None => {
                let mut object = K::default();
                object.meta_mut().name = Some(name.to_string());
                object.meta_mut().namespace = self.namespace.clone();
                self.mutated(name, &mut object, &mut mutate)?;
                match self.api.create(&PostParams::default(), &object).await {
                    Ok(created) => {
                        self.wrote(&created);
                        return Ok((OperationResult::Created, Arc::new(created)));
                    }
                    Err(kube::Error::Api(status)) if status.is_already_exists() => {
                        Arc::new(self.api.get(name).await?)
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        };
        let mut current = current;
        let mut retried = false;
        loop {
            let mut object = (*current).clone();
            self.mutated(name, &mut object, &mut mutate)?;
            if object == *current || holds(&*current, &object, Part::Object)? {
                return Ok((OperationResult::Unchanged, current));
            }
            match self
                .api
                .replace(name, &PostParams::default(), &object)
                .await
            {
                Ok(updated) => {
                    self.wrote(&updated);
                    return Ok((OperationResult::Updated, Arc::new(updated)));
                }
                Err(kube::Error::Api(status)) if status.is_conflict() && !retried => {
                    retried = true;
                    current = Arc::new(self.api.get(name).await?);
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    fn mutated(
        &self,
        name: &str,
        object: &mut K,
        mutate: &mut impl FnMut(&mut K) -> Result<(), MutateError>,
    ) -> Result<(), WriteError> {
        mutate(object).map_err(|source| WriteError::Mutate {
            kind: kind_name::<K>(),
            name: name.to_string(),
            source,
        })
    }
}

impl<K> CachedApi<K>
where
    K: Kind + Serialize + PartialEq,
{
    /// Writes the status `mutate` gives `object` (usually the object being reconciled, as
    /// cached) with one `PUT` of the status subresource, carrying `object`'s resourceVersion;
    /// sends nothing when `mutate` changes nothing. A newer version on the server fails with
    /// a conflict (409), which the reconcile loop retries with the fresh object.
    ///
    /// ```no_run
    /// # use k8s_openapi::api::apps::v1::Deployment;
    /// # async fn example(cache: &kubesmith::cache::Cache, deployment: &Deployment) -> Result<(), kubesmith::cache::WriteError> {
    /// cache
    ///     .namespaced::<Deployment>("default")
    ///     .update_status(deployment, |d| {
    ///         d.status.get_or_insert_with(Default::default).observed_generation = d.metadata.generation;
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_status(
        &self,
        object: &K,
        mutate: impl FnOnce(&mut K),
    ) -> Result<OperationResult, WriteError> {
        let Some(updated) = changed(object, mutate) else {
            return Ok(OperationResult::Unchanged);
        };
        let name = name_of(object)?;
        let stored = self
            .api
            .replace_status(&name, &PostParams::default(), &updated)
            .await?;
        self.wrote(&stored);
        Ok(OperationResult::Updated)
    }
}

impl<K> CachedApi<K>
where
    K: Kind + Serialize + JsonSchema,
{
    /// Server-side applies `object` (which must carry its name) as `field_manager`, taking over
    /// conflicting fields, and returns what happened and the object as stored. For objects
    /// whose fields several managers share; `apiVersion` and `kind` are filled in from the
    /// type. Costs the API server more than a create or an update (see the book's benchmark
    /// page).
    ///
    /// Sends nothing when the apply would change nothing: the cached object holds every field
    /// `object` sets (fields it leaves unset are the server's or another manager's) and
    /// `object` still sets every field `field_manager` applied before (one it leaves out would
    /// be removed). [`OperationResult::Created`] when the cache did not have the object.
    ///
    /// ```no_run
    /// use k8s_openapi::api::core::v1::ConfigMap;
    /// use kubesmith::cache::OperationResult;
    /// # async fn example(cache: &kubesmith::cache::Cache) -> Result<(), kubesmith::cache::WriteError> {
    /// let mut settings = ConfigMap::default();
    /// settings.metadata.name = Some("settings".into());
    /// settings.data = Some([("mode".to_string(), "fast".to_string())].into());
    /// let (result, _stored) = cache
    ///     .namespaced::<ConfigMap>("default")
    ///     .apply(&settings, "my-operator")
    ///     .await?;
    /// if result == OperationResult::Unchanged {
    ///     // No request was sent.
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn apply(
        &self,
        object: &K,
        field_manager: &str,
    ) -> Result<(OperationResult, Arc<K>), WriteError> {
        self.server_side_apply(object, field_manager, Part::Object)
            .await
    }

    /// Server-side applies the status subresource from `object`'s `status`; like
    /// [`apply`](Self::apply), sends nothing when that would change nothing.
    pub async fn apply_status(
        &self,
        object: &K,
        field_manager: &str,
    ) -> Result<(OperationResult, Arc<K>), WriteError> {
        self.server_side_apply(object, field_manager, Part::Status)
            .await
    }

    async fn server_side_apply(
        &self,
        object: &K,
        field_manager: &str,
        part: Part,
    ) -> Result<(OperationResult, Arc<K>), WriteError> {
        let (name, body) = apply_body(object)?;
        let current = self.get(&name).await?;
        if let Some(current) = current.as_ref() {
            let entries = current.meta().managed_fields.as_deref().unwrap_or_default();
            if ownership::sets_every_owned_field(entries, field_manager, part, &body)
                && desired::holds::<K>(&to_value(&**current)?, &body, part)
            {
                return Ok((OperationResult::Unchanged, Arc::clone(current)));
            }
        }
        let params = PatchParams::apply(field_manager).force();
        let patch = Patch::Apply(&body);
        let stored = match part {
            Part::Status => self.api.patch_status(&name, &params, &patch).await?,
            Part::Object => self.api.patch(&name, &params, &patch).await?,
        };
        self.wrote(&stored);
        let result = match current {
            Some(_) => OperationResult::Updated,
            None => OperationResult::Created,
        };
        Ok((result, Arc::new(stored)))
    }
}

impl<K> CachedApi<K>
where
    K: Kind + Serialize,
{
    /// Adds the finalizer `name` to `object` (nothing to send when it has it) with one JSON
    /// patch that fails, rather than overwrite, when the object's finalizers changed since it
    /// was read. The write is tracked like every other: the next read sees it.
    pub async fn add_finalizer(&self, object: &K, name: &str) -> Result<Arc<K>, WriteError> {
        let finalizers = object.meta().finalizers.clone().unwrap_or_default();
        if finalizers.iter().any(|finalizer| finalizer == name) {
            return Ok(Arc::new(object.clone()));
        }
        let patch = if finalizers.is_empty() {
            json!([
                {"op": "test", "path": "/metadata/finalizers", "value": null},
                {"op": "add", "path": "/metadata/finalizers", "value": [name]},
            ])
        } else {
            json!([
                {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
                {"op": "add", "path": "/metadata/finalizers/-", "value": name},
            ])
        };
        self.json_patch(object, patch).await
    }

    /// Removes the finalizer `name` from `object` (nothing to send when it lacks it), like
    /// [`add_finalizer`](Self::add_finalizer). Removing the last finalizer of an object being
    /// deleted lets the API server delete it.
    pub async fn remove_finalizer(&self, object: &K, name: &str) -> Result<Arc<K>, WriteError> {
        let finalizers = object.meta().finalizers.as_deref().unwrap_or_default();
        let Some(index) = finalizers.iter().position(|finalizer| finalizer == name) else {
            return Ok(Arc::new(object.clone()));
        };
        let path = format!("/metadata/finalizers/{index}");
        let patch = json!([
            {"op": "test", "path": path, "value": name},
            {"op": "remove", "path": path},
        ]);
        self.json_patch(object, patch).await
    }

    async fn json_patch(&self, object: &K, patch: Value) -> Result<Arc<K>, WriteError> {
        let name = name_of(object)?;
        let patch: json_patch::Patch =
            serde_json::from_value(patch).map_err(|source| WriteError::Serialize {
                kind: kind_name::<K>(),
                name: name.clone(),
                source,
            })?;
        let stored = self
            .api
            .patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await?;
        self.wrote(&stored);
        Ok(Arc::new(stored))
    }
}

/// Whether `current` holds everything `desired` sets (see [`desired`]).
fn holds<K: Kind + Serialize + JsonSchema>(
    current: &K,
    desired: &K,
    part: Part,
) -> Result<bool, WriteError> {
    Ok(desired::holds::<K>(
        &to_value(current)?,
        &to_value(desired)?,
        part,
    ))
}

fn to_value<K: Kind + Serialize>(object: &K) -> Result<Value, WriteError> {
    serde_json::to_value(object).map_err(|source| WriteError::Serialize {
        kind: kind_name::<K>(),
        name: object.name_any(),
        source,
    })
}

/// `object` after `mutate`, when that changed it.
fn changed<K: Clone + PartialEq>(object: &K, mutate: impl FnOnce(&mut K)) -> Option<K> {
    let mut updated = object.clone();
    mutate(&mut updated);
    (updated != *object).then_some(updated)
}

fn name_of<K: Kind>(object: &K) -> Result<String, WriteError> {
    object
        .meta()
        .name
        .clone()
        .ok_or_else(|| WriteError::MissingName {
            kind: kind_name::<K>(),
        })
}

/// The body of a server-side apply: the object with its type and without read-only metadata.
fn apply_body<K: Kind + Serialize>(object: &K) -> Result<(String, Value), WriteError> {
    let name = object.name_any();
    let mut body = to_value(object)?;
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
    Ok((name, body))
}
