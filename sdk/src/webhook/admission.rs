//! Admission per Kind: [`Defaulter`] (a mutating webhook answering with a JSON patch) and
//! [`Validator`] (a validating webhook answering allowed or denied, with warnings either way),
//! and how an `AdmissionReview` request becomes its response.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use k8s_openapi::api::authentication::v1::UserInfo;
use kube::Client;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, Operation};
use serde::Serialize;

use super::error::WebhookError;
use crate::Kind;

/// Warnings sent back to the client (`kubectl` prints them), on allowed and denied requests.
pub type Warnings = Vec<String>;

/// What a webhook call knows besides the object: who asks, for what, and a client.
#[derive(Clone)]
pub struct AdmissionContext {
    client: Client,
    user_info: UserInfo,
    operation: Operation,
    dry_run: bool,
    name: String,
    namespace: Option<String>,
}

impl AdmissionContext {
    fn of<T: kube::Resource>(request: &AdmissionRequest<T>, client: Client) -> Self {
        AdmissionContext {
            client,
            user_info: request.user_info.clone(),
            operation: request.operation.clone(),
            dry_run: request.dry_run,
            name: request.name.clone(),
            namespace: request.namespace.clone(),
        }
    }

    /// The manager's client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The user whose request is being admitted.
    pub fn user_info(&self) -> &UserInfo {
        &self.user_info
    }

    /// Create, update, delete or connect.
    pub fn operation(&self) -> &Operation {
        &self.operation
    }

    /// Whether the request will not be persisted (side effects must be skipped).
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// The object's name (empty on a create with `generateName`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The object's namespace, for namespaced kinds.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
}

/// Fills in defaults of `K` on create and update (a mutating webhook). The response is a JSON
/// patch from the object as received to the object as defaulted; no patch when `default`
/// changed nothing. Deletes are allowed untouched.
///
/// ```
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kubesmith::webhook::{AdmissionContext, Defaulter, WebhookError};
///
/// struct ModeDefaulter;
///
/// impl Defaulter<ConfigMap> for ModeDefaulter {
///     async fn default(&self, cm: &mut ConfigMap, _ctx: &AdmissionContext) -> Result<(), WebhookError> {
///         cm.data.get_or_insert_with(Default::default).entry("mode".into()).or_insert_with(|| "fast".into());
///         Ok(())
///     }
/// }
/// ```
pub trait Defaulter<K>: Send + Sync + 'static {
    /// Sets the defaults of `object`.
    fn default(
        &self,
        object: &mut K,
        ctx: &AdmissionContext,
    ) -> impl Future<Output = Result<(), WebhookError>> + Send;
}

/// Validates `K` (a validating webhook): each check returns warnings, or an error that denies
/// the request. Connects are allowed; deletes reach [`validate_delete`](Self::validate_delete)
/// only when the webhook asks for them.
///
/// ```
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kubesmith::webhook::{AdmissionContext, FieldError, Validator, Warnings, WebhookError};
///
/// struct SmallConfig;
///
/// impl Validator<ConfigMap> for SmallConfig {
///     async fn validate_create(&self, cm: &ConfigMap, _ctx: &AdmissionContext) -> Result<Warnings, WebhookError> {
///         let entries = cm.data.as_ref().map_or(0, |data| data.len());
///         if entries > 10 {
///             return Err(WebhookError::invalid(cm, vec![FieldError::too_many("data", entries, 10)]));
///         }
///         Ok(Warnings::new())
///     }
/// }
/// ```
pub trait Validator<K>: Send + Sync + 'static {
    /// Checks an object about to be created.
    fn validate_create(
        &self,
        object: &K,
        ctx: &AdmissionContext,
    ) -> impl Future<Output = Result<Warnings, WebhookError>> + Send {
        let _ = (object, ctx);
        async { Ok(Warnings::new()) }
    }

    /// Checks a change from `old` to `new` (default: the checks of a create on `new`).
    fn validate_update(
        &self,
        old: &K,
        new: &K,
        ctx: &AdmissionContext,
    ) -> impl Future<Output = Result<Warnings, WebhookError>> + Send {
        let _ = old;
        self.validate_create(new, ctx)
    }

    /// Checks an object about to be deleted (default: allowed).
    fn validate_delete(
        &self,
        old: &K,
        ctx: &AdmissionContext,
    ) -> impl Future<Output = Result<Warnings, WebhookError>> + Send {
        let _ = (old, ctx);
        async { Ok(Warnings::new()) }
    }
}

/// An admission handler with its types erased: a request in, a response out.
pub(crate) type AdmissionHandler = Arc<
    dyn Fn(AdmissionRequest<DynamicObject>, Client) -> BoxFuture<'static, Admitted> + Send + Sync,
>;

/// A handler's answer: the response, or a panic in user code.
pub(crate) enum Admitted {
    Response(Box<AdmissionResponse>),
    Panicked(String),
}

/// The handler of a [`Defaulter`].
pub(crate) fn defaulting<K, D>(defaulter: D) -> AdmissionHandler
where
    K: Kind + Serialize,
    D: Defaulter<K>,
{
    let defaulter = Arc::new(defaulter);
    Arc::new(move |request, client| {
        let defaulter = Arc::clone(&defaulter);
        guarded(async move {
            let response = AdmissionResponse::from(&request);
            if !matches!(request.operation, Operation::Create | Operation::Update) {
                return response;
            }
            let Some(received) = &request.object else {
                return errored(response, "the request carries no object");
            };
            let (original, mut object) = match decode::<K>(received) {
                Ok(decoded) => decoded,
                Err(message) => return errored(response, &message),
            };
            let ctx = AdmissionContext::of(&request, client);
            if let Err(error) = defaulter.default(&mut object, &ctx).await {
                return denied(response, error);
            }
            let defaulted = match serde_json::to_value(&object) {
                Ok(value) => value,
                Err(error) => return errored(response, &error.to_string()),
            };
            let patch = json_patch::diff(&original, &defaulted);
            if patch.0.is_empty() {
                return response;
            }
            match response.clone().with_patch(patch) {
                Ok(patched) => patched,
                Err(error) => errored(response, &error.to_string()),
            }
        })
    })
}

/// The handler of a [`Validator`]; deletes are checked only when `deletes` is set.
pub(crate) fn validating<K, V>(validator: V, deletes: bool) -> AdmissionHandler
where
    K: Kind + Serialize,
    V: Validator<K>,
{
    let validator = Arc::new(validator);
    Arc::new(move |request, client| {
        let validator = Arc::clone(&validator);
        guarded(async move {
            let response = AdmissionResponse::from(&request);
            let ctx = AdmissionContext::of(&request, client);
            let decoded = |object: &Option<DynamicObject>| -> Result<K, String> {
                let object = object
                    .as_ref()
                    .ok_or_else(|| "the request carries no object".to_string())?;
                decode::<K>(object).map(|(_, decoded)| decoded)
            };
            let verdict = match request.operation {
                Operation::Connect => return response,
                Operation::Delete if !deletes => return response,
                Operation::Create => match decoded(&request.object) {
                    Ok(new) => validator.validate_create(&new, &ctx).await,
                    Err(message) => return errored(response, &message),
                },
                Operation::Update => match (decoded(&request.old_object), decoded(&request.object))
                {
                    (Ok(old), Ok(new)) => validator.validate_update(&old, &new, &ctx).await,
                    (Err(message), _) | (_, Err(message)) => return errored(response, &message),
                },
                Operation::Delete => match decoded(&request.old_object) {
                    Ok(old) => validator.validate_delete(&old, &ctx).await,
                    Err(message) => return errored(response, &message),
                },
            };
            match verdict {
                Ok(warnings) => with_warnings(response, warnings),
                Err(error) => denied(response, error),
            }
        })
    })
}

/// Runs a handler's work, turning a panic into [`Admitted::Panicked`].
fn guarded(
    work: impl Future<Output = AdmissionResponse> + Send + 'static,
) -> BoxFuture<'static, Admitted> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .map(|outcome| match outcome {
            Ok(response) => Admitted::Response(Box::new(response)),
            Err(panic) => Admitted::Panicked(
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string payload".into()),
            ),
        })
        .boxed()
}

/// The object of a request as `K`, and `K` serialized again (what the patch is computed
/// from, so that fields `K` does not know never show up in it).
fn decode<K: Kind + Serialize>(object: &DynamicObject) -> Result<(serde_json::Value, K), String> {
    let value = serde_json::to_value(object).map_err(|error| error.to_string())?;
    let decoded: K = serde_json::from_value(value)
        .map_err(|error| format!("the object is not a valid {}: {error}", K::kind(&())))?;
    let original = serde_json::to_value(&decoded).map_err(|error| error.to_string())?;
    Ok((original, decoded))
}

fn with_warnings(mut response: AdmissionResponse, warnings: Warnings) -> AdmissionResponse {
    if !warnings.is_empty() {
        response.warnings = Some(warnings);
    }
    response
}

fn denied(response: AdmissionResponse, error: WebhookError) -> AdmissionResponse {
    let status = error.status();
    let mut response =
        with_warnings(response, error.sent_warnings().to_vec()).deny(&status.message);
    response.result = status;
    response
}

/// A request the handler cannot work with (400 `BadRequest`).
fn errored(response: AdmissionResponse, message: &str) -> AdmissionResponse {
    let mut status = kube::core::Status::failure(message, "BadRequest");
    status.code = 400;
    denied(response, WebhookError::from_status(status))
}

/// The patch of a response, decoded.
#[cfg(test)]
pub(crate) fn decode_patch(response: &AdmissionResponse) -> Option<json_patch::Patch> {
    serde_json::from_slice(response.patch.as_ref()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::core::admission::AdmissionReview;

    struct Mode;

    impl Defaulter<ConfigMap> for Mode {
        async fn default(
            &self,
            cm: &mut ConfigMap,
            _: &AdmissionContext,
        ) -> Result<(), WebhookError> {
            let data = cm.data.get_or_insert_with(Default::default);
            if data.get("mode").is_some_and(|mode| mode == "panic") {
                panic!("asked to");
            }
            data.entry("mode".into()).or_insert_with(|| "fast".into());
            Ok(())
        }
    }

    struct Small;

    impl Validator<ConfigMap> for Small {
        async fn validate_create(
            &self,
            cm: &ConfigMap,
            _: &AdmissionContext,
        ) -> Result<Warnings, WebhookError> {
            let entries = cm.data.as_ref().map_or(0, |data| data.len());
            let warning = format!("{entries} entries");
            if entries > 1 {
                return Err(WebhookError::invalid(
                    cm,
                    vec![super::super::error::FieldError::too_many(
                        "data", entries, 1,
                    )],
                )
                .warnings([warning]));
            }
            Ok(vec![warning])
        }
    }

    fn request(operation: &str, data: serde_json::Value) -> AdmissionRequest<DynamicObject> {
        let review: AdmissionReview<DynamicObject> = serde_json::from_value(serde_json::json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "u1",
                "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
                "resource": {"group": "", "version": "v1", "resource": "configmaps"},
                "name": "cm", "namespace": "default",
                "operation": operation,
                "userInfo": {"username": "alice"},
                "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "creationTimestamp": null}, "data": data},
                "oldObject": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {}},
            }
        }))
        .expect("a review");
        review.try_into().expect("a request")
    }

    fn client() -> Client {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        Client::try_from(config).expect("client")
    }

    async fn answer(
        handler: &AdmissionHandler,
        request: AdmissionRequest<DynamicObject>,
    ) -> AdmissionResponse {
        match handler(request, client()).await {
            Admitted::Response(response) => *response,
            Admitted::Panicked(message) => panic!("handler panicked: {message}"),
        }
    }

    #[tokio::test]
    async fn defaulting_patches_only_what_changed() {
        let handler = defaulting::<ConfigMap, _>(Mode);
        let patched = answer(&handler, request("CREATE", serde_json::json!({"a": "1"}))).await;
        assert!(patched.allowed);
        let patch = serde_json::to_value(decode_patch(&patched).expect("a patch")).expect("json");
        assert_eq!(
            patch,
            serde_json::json!([{"op": "add", "path": "/data/mode", "value": "fast"}])
        );
        let unchanged = answer(
            &handler,
            request("UPDATE", serde_json::json!({"mode": "slow"})),
        )
        .await;
        assert!(
            unchanged.allowed && unchanged.patch.is_none(),
            "no patch when nothing changed"
        );
        let deleting = answer(&handler, request("DELETE", serde_json::json!({}))).await;
        assert!(deleting.allowed && deleting.patch.is_none());
    }

    #[tokio::test]
    async fn a_panic_is_reported_not_propagated() {
        let handler = defaulting::<ConfigMap, _>(Mode);
        let outcome = handler(
            request("CREATE", serde_json::json!({"mode": "panic"})),
            client(),
        )
        .await;
        assert!(matches!(outcome, Admitted::Panicked(message) if message == "asked to"));
    }

    #[tokio::test]
    async fn validation_denies_with_causes_and_warns_both_ways() {
        let handler = validating::<ConfigMap, _>(Small, false);
        let allowed = answer(&handler, request("CREATE", serde_json::json!({"a": "1"}))).await;
        assert!(allowed.allowed);
        assert_eq!(allowed.warnings, Some(vec!["1 entries".to_string()]));
        let denied = answer(
            &handler,
            request("UPDATE", serde_json::json!({"a": "1", "b": "2"})),
        )
        .await;
        assert!(!denied.allowed);
        assert_eq!(denied.warnings, Some(vec!["2 entries".to_string()]));
        assert_eq!(denied.result.code, 422);
        let cause = &denied.result.details.as_ref().expect("details").causes[0];
        assert_eq!(
            (cause.field.as_str(), cause.reason.as_str()),
            ("data", "FieldValueTooMany")
        );
        let connect = answer(
            &handler,
            request("CONNECT", serde_json::json!({"a": "1", "b": "2"})),
        )
        .await;
        assert!(connect.allowed && connect.warnings.is_none());
        let delete = answer(&handler, request("DELETE", serde_json::json!({}))).await;
        assert!(delete.allowed, "deletes pass unless asked for");
    }

    #[tokio::test]
    async fn an_object_of_the_wrong_shape_is_a_bad_request() {
        let handler = validating::<ConfigMap, _>(Small, false);
        let wrong = answer(
            &handler,
            request("CREATE", serde_json::json!(["not", "a", "map"])),
        )
        .await;
        assert!(!wrong.allowed);
        assert_eq!(wrong.result.code, 400);
        assert!(
            wrong.result.message.contains("not a valid ConfigMap"),
            "{}",
            wrong.result.message
        );
    }
}
