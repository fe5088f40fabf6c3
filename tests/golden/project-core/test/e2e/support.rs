//! What the end-to-end tests share: a connection to the cluster that knows where the operator
//! is deployed, waits on conditions (watches, with the deadline of `E2E_TIMEOUT`), server-side
//! apply retried while the webhooks come up, and the diagnostics printed when a check fails.

use std::fmt;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, LogParams, Patch, PatchParams};
use kube::core::{ClusterResourceScope, NamespaceResourceScope};
use kube::runtime::wait::{Condition, await_condition};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `E2E_TIMEOUT`: how many seconds each wait may take, [`DEFAULT_TIMEOUT`] when unset.
pub const TIMEOUT_ENV: &str = "E2E_TIMEOUT";

/// How long each wait may take unless `E2E_TIMEOUT` says otherwise: image pulls and
/// cert-manager's first certificate take minutes on a busy cluster.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The field manager of what the tests apply.
const FIELD_MANAGER: &str = "e2e";

/// Where `make deploy` puts the operator: `namespace` and `namePrefix` of
/// `config/default/kustomization.yaml`.
#[derive(Debug, Clone, Copy)]
pub struct Operator {
    /// The namespace of the manager and its namespaced objects.
    pub namespace: &'static str,
    /// What kustomize prefixes every name with.
    pub name_prefix: &'static str,
}

impl Operator {
    /// `name` as `make deploy` names it (`controller-manager` -> `<project>-controller-manager`).
    pub fn name(&self, name: &str) -> String {
        format!("{}{name}", self.name_prefix)
    }
}

/// Why a check failed; printed as it is when a test returns it.
pub struct Error(String);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error(message)
    }
}

impl From<kube::Error> for Error {
    fn from(error: kube::Error) -> Self {
        Error(describe(&error))
    }
}

/// `error` in a line: the API server's answer (code, reason, message) when there is one.
pub fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!(
            "the API server answered {} {}: {}",
            status.code, status.reason, status.message
        ),
        other => other.to_string(),
    }
}

/// The Api of a resource in the operator's namespace, or cluster-wide, by the resource's scope.
pub trait Scoped: Sized {
    /// The Api of `K` for the operator in `namespace`.
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(client: Client, namespace: &str) -> Api<K>;
}

impl Scoped for NamespaceResourceScope {
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(client: Client, namespace: &str) -> Api<K> {
        Api::namespaced(client, namespace)
    }
}

impl Scoped for ClusterResourceScope {
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(client: Client, _: &str) -> Api<K> {
        Api::all(client)
    }
}

/// The cluster of the current kubeconfig, with the operator `make deploy` put there.
pub struct Cluster {
    client: Client,
    operator: Operator,
    timeout: Duration,
}

impl Cluster {
    /// Connects to the cluster of the current kubeconfig (`KUBECONFIG`, `~/.kube/config` or the
    /// in-cluster configuration); waits take `E2E_TIMEOUT` seconds at most.
    pub async fn connect(operator: Operator) -> Result<Cluster, Error> {
        let timeout = match std::env::var(TIMEOUT_ENV) {
            Ok(seconds) => seconds
                .trim()
                .parse()
                .map(Duration::from_secs)
                .map_err(|_| format!("{TIMEOUT_ENV}={seconds:?} is not a number of seconds"))?,
            Err(_) => DEFAULT_TIMEOUT,
        };
        let client = Client::try_default()
            .await
            .map_err(|error| format!("no cluster to test against: {error}"))?;
        Ok(Cluster {
            client,
            operator,
            timeout,
        })
    }

    /// The Api of `K`: in the operator's namespace when `K` is namespaced, else cluster-wide.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<DynamicType = ()>,
        K::Scope: Scoped,
    {
        <K::Scope as Scoped>::api(self.client.clone(), self.operator.namespace)
    }

    /// Runs `checks`; when they fail, prints what the cluster says about the operator's
    /// namespace before returning the failure.
    pub async fn checks(
        &self,
        checks: impl Future<Output = Result<(), Error>>,
    ) -> Result<(), Error> {
        let outcome = checks.await;
        if let Err(error) = &outcome {
            eprintln!("FAILED: {error}\n{}", self.diagnostics().await);
        }
        outcome
    }

    /// Server-side applies `object` with `api` and returns what the API server stored. While
    /// the API server answers with a server error (a webhook it calls is not reachable yet,
    /// its CA not injected yet), applies again until the deadline.
    pub async fn apply<K>(&self, api: &Api<K>, object: &K) -> Result<K, Error>
    where
        K: Resource + Clone + fmt::Debug + Serialize + DeserializeOwned,
    {
        let name = object.name_any();
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut pause = Duration::from_millis(500);
        loop {
            match api.patch(&name, &params, &Patch::Apply(object)).await {
                Ok(applied) => return Ok(applied),
                Err(kube::Error::Api(status))
                    if status.code >= 500 && tokio::time::Instant::now() + pause < deadline =>
                {
                    eprintln!("applying {name}: {} (retrying)", status.message);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                Err(error) => return Err(format!("applying {name}: {}", describe(&error)).into()),
            }
        }
    }

    /// Waits (a watch, up to the deadline) until `condition` holds for the object `name` of
    /// `api`; returns it. `what` says what is awaited, for the messages.
    pub async fn wait_for<K>(
        &self,
        api: &Api<K>,
        name: &str,
        what: &str,
        condition: impl Condition<K>,
    ) -> Result<K, Error>
    where
        K: Resource + Clone + fmt::Debug + Serialize + DeserializeOwned + Send + 'static,
    {
        eprintln!("waiting up to {:?} for {name} {what}", self.timeout);
        let waited =
            tokio::time::timeout(self.timeout, await_condition(api.clone(), name, condition)).await;
        match waited {
            Ok(Ok(Some(object))) => {
                eprintln!("ok: {name} {what}");
                Ok(object)
            }
            Ok(Ok(None)) => Err(format!("{name} is gone while waiting for it {what}").into()),
            Ok(Err(error)) => Err(format!("watching {name}: {error}").into()),
            Err(_) => {
                let last = match api.get_opt(name).await {
                    // The status says why, when there is one.
                    Ok(Some(object)) => match serde_json::to_value(&object) {
                        Ok(Value::Object(mut fields)) if fields.contains_key("status") => {
                            yaml(&serde_json::json!({ "status": fields.remove("status") }))
                        }
                        _ => yaml(&without_managed_fields(&object)),
                    },
                    Ok(None) => "it does not exist\n".to_string(),
                    Err(error) => format!("it cannot be read: {}\n", describe(&error)),
                };
                Err(format!(
                    "{name} is not {what} after {:?}; last seen:\n{last}",
                    self.timeout
                )
                .into())
            }
        }
    }

    /// What the cluster says about the operator's namespace: every pod as YAML with the logs
    /// of its containers (the previous run's too after a restart), then the namespace's events.
    pub async fn diagnostics(&self) -> String {
        let namespace = self.operator.namespace;
        let mut out = format!("--- diagnostics of namespace {namespace} ---\n");
        let pods: Api<Pod> = self.api();
        match pods.list(&ListParams::default()).await {
            Ok(list) if list.items.is_empty() => out.push_str("no pods\n"),
            Ok(list) => {
                for pod in &list.items {
                    out.push_str(&describe_pod(&pods, pod).await);
                }
            }
            Err(error) => out.push_str(&format!(
                "the pods cannot be listed: {}\n",
                describe(&error)
            )),
        }
        out.push_str(&format!("--- events of namespace {namespace} ---\n"));
        match self.api::<Event>().list(&ListParams::default()).await {
            Ok(list) if list.items.is_empty() => out.push_str("no events\n"),
            Ok(list) => {
                let mut events: Vec<(String, String)> =
                    list.items.iter().map(describe_event).collect();
                events.sort();
                for (_, line) in events {
                    out.push_str(&line);
                }
            }
            Err(error) => out.push_str(&format!(
                "the events cannot be listed: {}\n",
                describe(&error)
            )),
        }
        out.push_str("--- end of diagnostics ---");
        out
    }
}

/// `pod` as YAML, then the logs of each of its containers.
async fn describe_pod(pods: &Api<Pod>, pod: &Pod) -> String {
    let name = pod.name_any();
    let value = without_managed_fields(pod);
    let mut out = format!("--- pod {name} ---\n{}", yaml(&value));
    let statuses = value["status"]["containerStatuses"].as_array().cloned();
    for container in statuses.unwrap_or_default() {
        let container_name = container["name"].as_str().unwrap_or_default();
        // The run before the last restart first: it says why the container stopped.
        let restarted = container["restartCount"].as_i64().unwrap_or(0) > 0;
        for previous in [true, false] {
            if previous && !restarted {
                continue;
            }
            let params = LogParams {
                container: Some(container_name.to_string()),
                previous,
                ..LogParams::default()
            };
            let run = if previous {
                "previous run"
            } else {
                "current run"
            };
            out.push_str(&format!(
                "--- logs of {name}/{container_name} ({run}) ---\n"
            ));
            match pods.logs(&name, &params).await {
                Ok(logs) => out.push_str(&logs),
                Err(error) => {
                    out.push_str(&format!("the logs cannot be read: {}\n", describe(&error)));
                }
            }
        }
    }
    out
}

/// `event` as a line of the diagnostics, with the time it sorts by.
fn describe_event(event: &Event) -> (String, String) {
    let value = serde_json::to_value(event).unwrap_or_default();
    let time = [
        "/lastTimestamp",
        "/eventTime",
        "/metadata/creationTimestamp",
    ]
    .into_iter()
    .map(|pointer| text(&value, pointer))
    .find(|time| !time.is_empty())
    .unwrap_or("");
    let line = format!(
        "{time} {} {} {}/{}: {}\n",
        text(&value, "/type"),
        text(&value, "/reason"),
        text(&value, "/involvedObject/kind"),
        text(&value, "/involvedObject/name"),
        text(&value, "/message"),
    );
    (time.to_string(), line)
}

/// The string at `pointer` in `value`, empty when there is none.
fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `object` as JSON without `metadata.managedFields`, which say nothing about a failure.
fn without_managed_fields(object: &impl Serialize) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or_default();
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    value
}

/// `value` as block-style YAML; strings are double-quoted as in JSON, which YAML reads back
/// as they are.
fn yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(value, 0, &mut out);
    out
}

fn write_yaml(value: &Value, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                let plain = key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
                let key = if plain {
                    key.clone()
                } else {
                    Value::from(key.as_str()).to_string()
                };
                out.push_str(&format!("{indent}{key}:"));
                write_nested(item, depth, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&format!("{indent}-"));
                write_nested(item, depth, out);
            }
        }
        scalar => out.push_str(&format!("{indent}{scalar}\n")),
    }
}

/// The value of a key or list item: nested collections on the following lines, scalars and
/// empty collections (`{}`, `[]`) on the same line.
fn write_nested(value: &Value, depth: usize, out: &mut String) {
    let nested = match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    };
    if nested {
        out.push('\n');
        write_yaml(value, depth + 1, out);
    } else {
        out.push_str(&format!(" {value}\n"));
    }
}
