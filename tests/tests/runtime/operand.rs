//! An operand rebuilt in full at every reconcile: a Deployment whose spec the reconciler
//! builds from scratch, leaving unset everything the API server defaults. Once it has
//! converged, reconciles send no write (request log) and report `Unchanged`, through
//! `create_or_update` and through server-side apply alike; a change of the Greeting is still
//! written, including a removal.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use greeting_operator::api::Greeting;
use http::Method;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, PodSpec, PodTemplateSpec, ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{ObjectMeta, Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use kubesmith::cache::OperationResult;
use kubesmith::controller::Controller;
use kubesmith::envtest::TestManager;
use kubesmith::manager::Manager;
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
use serde_json::json;

use crate::requests::RequestLog;
use crate::{Sightings, create_greeting, eventually, options, shared};

/// The annotation of the pod template that carries the Greeting's message (none when the
/// message is empty).
const MESSAGE: &str = "demo.kubesmith.dev/message";

/// How the reconciler writes the Deployment.
#[derive(Debug, Clone, Copy)]
enum Write {
    /// `create_or_update`, replacing the spec with the one built.
    Update,
    /// Server-side apply of the object built.
    Apply,
}

/// Builds the Greeting's Deployment in full and writes it, then asks to run again soon, so
/// that reconciles keep coming at steady state.
#[derive(Clone)]
struct Operand {
    write: Write,
    results: Sightings<OperationResult>,
}

/// The Deployment of `greeting`, as an operator would build it: only what it cares about.
fn desired(greeting: &Greeting) -> Deployment {
    let labels = BTreeMap::from([("app".to_string(), greeting.name_any())]);
    let message = &greeting.spec.message;
    let mut annotations = BTreeMap::new();
    if !message.is_empty() {
        annotations.insert(MESSAGE.to_string(), message.clone());
    }
    let container = Container {
        name: "web".into(),
        image: Some("nginx:1.27".into()),
        ports: Some(vec![ContainerPort {
            container_port: 8080,
            ..ContainerPort::default()
        }]),
        resources: Some(ResourceRequirements {
            // Stored as 500m and 1Gi.
            limits: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("0.5".into())),
                ("memory".to_string(), Quantity("1024Mi".into())),
            ])),
            ..ResourceRequirements::default()
        }),
        ..Container::default()
    };
    Deployment {
        metadata: ObjectMeta {
            name: Some(greeting.name_any()),
            namespace: greeting.namespace(),
            labels: Some(labels.clone()),
            owner_references: greeting.controller_owner_ref(&()).map(|owner| vec![owner]),
            ..ObjectMeta::default()
        },
        spec: DeploymentSpec {
            replicas: Some(1),
            selector: LabelSelector {
                match_labels: Some(labels.clone()),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    // An empty map, not `None`: the annotation is removed when the message is.
                    annotations: Some(annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        },
        status: None,
    }
}

impl Reconciler<Greeting> for Operand {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let namespace = greeting.namespace().unwrap_or_default();
        let deployments = ctx.namespaced::<Deployment>(&namespace);
        let desired = desired(&greeting);
        let (result, _) = match self.write {
            Write::Update => {
                deployments
                    .create_or_update(&greeting.name_any(), |deployment| {
                        deployment.metadata.labels = desired.metadata.labels.clone();
                        deployment.metadata.owner_references =
                            desired.metadata.owner_references.clone();
                        deployment.spec = desired.spec.clone();
                        Ok(())
                    })
                    .await?
            }
            Write::Apply => deployments.apply(&desired, "operand-test").await?,
        };
        self.results.record(result);
        Ok(Action::requeue_after(Duration::from_millis(100)))
    }
}

/// Runs the operand controller writing with `write` and checks the steady state, a change and
/// a removal.
async fn converges_without_writes(write: Write, name: &str) {
    let env = shared().await;
    let namespace = env.create_namespace(name).await.expect("namespace");
    let admin = env.client().expect("client");
    let log = RequestLog::default();
    let (options, _, _) = options(&namespace);
    let mut manager = Manager::new(log.client(env.config().clone()), options).expect("manager");
    let results = Sightings::default();
    let operand = Operand {
        write,
        results: results.clone(),
    };
    manager
        .add(Controller::<Greeting>::new().owns::<Deployment>(), operand)
        .expect("controller");
    let running = TestManager::start(manager);

    create_greeting(&admin, &namespace, "web", "hi").await;
    let unchanged = |results: &Sightings<OperationResult>, after: usize| {
        let results = results.clone();
        async move {
            let seen = results.0.lock().expect("lock").clone();
            let tail = seen.get(after..).unwrap_or_default();
            (tail.len() >= 10 && tail.iter().all(|r| *r == OperationResult::Unchanged))
                .then_some(seen.len())
        }
    };
    // Converged: a run of reconciles that changed nothing.
    let converged = eventually(Duration::from_secs(30), "ten unchanged reconciles", || {
        let seen = results.count();
        let results = results.clone();
        async move {
            let all = results.0.lock().expect("lock").clone();
            let first = all.iter().position(|r| *r == OperationResult::Unchanged)?;
            (seen >= first + 10).then_some(first)
        }
    })
    .await;
    let seen = results.0.lock().expect("lock").clone();
    assert_eq!(
        seen.first(),
        Some(&OperationResult::Created),
        "the first reconcile creates the Deployment: {seen:?}"
    );
    assert!(
        seen[converged..]
            .iter()
            .all(|r| *r == OperationResult::Unchanged),
        "once unchanged, every reconcile is: {seen:?}"
    );

    // Steady state: reconciles keep coming, writes do not.
    let (requests, reconciles) = (log.len(), results.count());
    eventually(Duration::from_secs(10), "ten more reconciles", || {
        unchanged(&results, reconciles)
    })
    .await;
    let writes: Vec<_> = log
        .sent()
        .into_iter()
        .skip(requests)
        .filter(|sent| sent.method != Method::GET)
        .collect();
    assert!(
        writes.is_empty(),
        "reconciles of a converged Deployment sent writes: {writes:?}"
    );

    // A change of the Greeting is written, and so is the removal it implies.
    let deployments: Api<Deployment> = Api::namespaced(admin.clone(), &namespace);
    let greetings: Api<Greeting> = Api::namespaced(admin.clone(), &namespace);
    for (message, annotation) in [("hello", Some("hello")), ("", None)] {
        greetings
            .patch(
                "web",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"message": message}})),
            )
            .await
            .expect("patch the Greeting");
        eventually(
            Duration::from_secs(30),
            "the message in the Deployment",
            || async {
                let deployment = deployments.get("web").await.ok()?;
                let template = deployment.spec.template.metadata.unwrap_or_default();
                let found = template.annotations.unwrap_or_default().remove(MESSAGE);
                (found.as_deref() == annotation).then_some(())
            },
        )
        .await;
    }
    let after_change = results.count();
    eventually(
        Duration::from_secs(10),
        "ten unchanged reconciles after the change",
        || unchanged(&results, after_change),
    )
    .await;
    running.stop().await.expect("manager stops cleanly");
}

#[tokio::test]
async fn a_deployment_rebuilt_in_full_and_updated_costs_no_write_once_converged() {
    converges_without_writes(Write::Update, "operand-update").await;
}

#[tokio::test]
async fn a_deployment_rebuilt_in_full_and_applied_costs_no_write_once_converged() {
    converges_without_writes(Write::Apply, "operand-apply").await;
}
