//! The Greeting reconciler called directly, without a control plane: a test context whose cache
//! holds fixtures, and a mocked API server that records every request the reconcile sends.

use std::sync::Arc;

use greeting_operator::api::{Greeting, GreetingSpec, GreetingStatus};
use greeting_operator::controller::{GreetingReconciler, MESSAGE_KEY};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::client::Body;
use kubesmith::conditions::ConditionBuilder;
use kubesmith::reconcile::{Action, Context, ContextBuilder, Reconciler};
use serde_json::Value;
use tower_test::mock;

type Handle = mock::Handle<Request<Body>, Response<Body>>;

/// One request the reconcile sent.
#[derive(Debug)]
struct Sent {
    method: Method,
    path: String,
    body: Value,
}

fn greeting(status: Option<GreetingStatus>) -> Greeting {
    let mut greeting = Greeting::new(
        "hello",
        GreetingSpec {
            message: "hi".into(),
        },
    );
    greeting.metadata.namespace = Some("default".into());
    greeting.metadata.uid = Some("uid-1".into());
    greeting.metadata.generation = Some(1);
    greeting.metadata.resource_version = Some("10".into());
    greeting.status = status;
    greeting
}

fn ready_status(greeting: &Greeting) -> GreetingStatus {
    let mut status = GreetingStatus {
        config_map: Some("hello-greeting".into()),
        observed_generation: Some(1),
        conditions: Default::default(),
    };
    status
        .conditions
        .set(ConditionBuilder::new("Ready", true, "ConfigMapApplied").observing(greeting));
    status
}

fn config_map(greeting: &Greeting, message: &str) -> ConfigMap {
    let mut config_map = ConfigMap::default();
    config_map.metadata.name = Some("hello-greeting".into());
    config_map.metadata.namespace = Some("default".into());
    config_map.metadata.resource_version = Some("11".into());
    config_map.data = Some([(MESSAGE_KEY.to_string(), message.to_string())].into());
    kubesmith::owner::set_controller_reference(greeting, &mut config_map).expect("owner");
    config_map
}

/// A context over a mocked API server that answers every request with its own body (as a
/// create or update would), and the requests it got once the reconcile is done.
fn mocked(fixtures: impl FnOnce(ContextBuilder) -> ContextBuilder) -> (Context, Handle) {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(service, "default");
    (fixtures(Context::builder(client)).build(), handle)
}

async fn reconcile_and_record(greeting: Greeting, ctx: Context, mut handle: Handle) -> Vec<Sent> {
    let server = tokio::spawn(async move {
        let mut sent = Vec::new();
        while let Some((request, respond)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let bytes = body.collect().await.expect("body").to_bytes();
            let created = parts.method == Method::POST;
            respond.send_response(
                Response::builder()
                    .status(if created {
                        StatusCode::CREATED
                    } else {
                        StatusCode::OK
                    })
                    .body(Body::from(bytes.to_vec()))
                    .expect("response"),
            );
            sent.push(Sent {
                method: parts.method,
                path: parts.uri.path().to_string(),
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            });
        }
        sent
    });
    let action = GreetingReconciler::default()
        .reconcile(Arc::new(greeting), &ctx)
        .await
        .expect("reconcile succeeds");
    assert_eq!(action, Action::await_change());
    // Dropping the last client ends the mock server's request stream.
    drop(ctx);
    server.await.expect("mock server")
}

#[tokio::test]
async fn a_new_greeting_creates_its_config_map_and_sets_ready_with_two_requests() {
    let new = greeting(None);
    let (ctx, handle) = mocked(|builder| builder.object(new.clone()).expect("fixture"));
    let sent = reconcile_and_record(new, ctx, handle).await;

    let calls: Vec<(&Method, &str)> = sent.iter().map(|s| (&s.method, s.path.as_str())).collect();
    assert_eq!(
        calls,
        [
            (&Method::POST, "/api/v1/namespaces/default/configmaps"),
            (
                &Method::PUT,
                "/apis/demo.kubesmith.dev/v1/namespaces/default/greetings/hello/status"
            ),
        ],
        "no reads reach the API server: the ConfigMap's absence comes from the cache"
    );
    assert_eq!(sent[0].body["data"][MESSAGE_KEY], "hi");
    assert_eq!(
        sent[0].body["metadata"]["ownerReferences"][0]["uid"],
        "uid-1"
    );
    assert_eq!(sent[1].body["metadata"]["resourceVersion"], "10");
    assert_eq!(sent[1].body["status"]["conditions"][0]["type"], "Ready");
    assert_eq!(sent[1].body["status"]["observedGeneration"], 1);
}

#[tokio::test]
async fn a_converged_greeting_sends_no_request() {
    let mut done = greeting(None);
    done.status = Some(ready_status(&done));
    let child = config_map(&done, "hi");
    let (ctx, handle) = mocked(|builder| {
        builder
            .object(done.clone())
            .and_then(|b| b.object(child))
            .expect("fixtures")
    });
    let sent = reconcile_and_record(done, ctx, handle).await;
    assert!(sent.is_empty(), "sent {sent:?}");
}

#[tokio::test]
async fn a_changed_message_updates_only_the_config_map() {
    let mut changed = greeting(None);
    changed.status = Some(ready_status(&changed));
    let stale = config_map(&changed, "old text");
    let (ctx, handle) = mocked(|builder| builder.object(stale).expect("fixture"));
    let sent = reconcile_and_record(changed, ctx, handle).await;
    assert_eq!(sent.len(), 1, "sent {sent:?}");
    assert_eq!(sent[0].method, Method::PUT);
    assert_eq!(
        sent[0].path,
        "/api/v1/namespaces/default/configmaps/hello-greeting"
    );
    assert_eq!(sent[0].body["data"][MESSAGE_KEY], "hi");
    assert_eq!(
        sent[0].body["metadata"]["resourceVersion"], "11",
        "the update carries the cached version"
    );
}
