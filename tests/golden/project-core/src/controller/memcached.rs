//! The Memcached controller (the deploy-image plugin): runs `memcached:1.6` as a Deployment named
//! after each Memcached, with `spec.size` pods, and reports the rollout in the Memcached's
//! conditions — `Available`, `Progressing`, `Degraded` — and in events. A finalizer lets it
//! report a deletion before the API server removes the Memcached; the Deployment goes with it
//! (its owner reference names the Memcached).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, PodSecurityContext, PodSpec, PodTemplateSpec,
    SeccompProfile, SecurityContext,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kubesmith::conditions::ConditionBuilder;
use kubesmith::finalizer::{Event, finalize};
use kubesmith::prelude::*;

use crate::api::v1alpha1::memcached::Memcached;

/// The image the Deployment runs, unless the manager's environment sets [`IMAGE_ENV`].
pub const DEFAULT_IMAGE: &str = "memcached:1.6";
/// The environment variable of the manager that names another image (a pinned digest, a
/// mirror): set it in `config/manager/manager.yaml`.
pub const IMAGE_ENV: &str = "MEMCACHED_IMAGE";
/// Every pod of the Deployment is available.
pub const AVAILABLE: &str = "Available";
/// The Deployment is being created, scaled or rolled out.
pub const PROGRESSING: &str = "Progressing";
/// The Deployment could not be written, or the Memcached is being deleted.
pub const DEGRADED: &str = "Degraded";
/// The finalizer the controller keeps on every Memcached.
pub const FINALIZER: &str = "crew.testproject.org/finalizer";

/// What the Memcached controller is: it reconciles Memcacheds and owns their Deployments (a
/// change to one reconciles its Memcached); `make manifests` grants what it declares.
pub fn controller() -> Controller<Memcached> {
    Controller::new().owns::<Deployment>()
}

/// Runs each Memcached's Deployment and reports it in the Memcached's status.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemcachedReconciler;

impl Reconciler<Memcached> for MemcachedReconciler {
    async fn reconcile(
        &self,
        memcached: Arc<Memcached>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let memcacheds = ctx.namespaced::<Memcached>(&memcached.namespace().unwrap_or_default());
        finalize(&memcacheds, FINALIZER, memcached, |event| async {
            match event {
                Event::Apply(memcached) => deploy(&memcached, &memcacheds, ctx).await,
                Event::Cleanup(memcached) => {
                    // TODO(user): release what the operand holds outside the cluster.
                    let finalizing = ConditionBuilder::new(DEGRADED, true, "Finalizing")
                        .message("the Memcached is being deleted")
                        .observing(&*memcached);
                    report(&memcacheds, &memcached, [finalizing]).await?;
                    ctx.event(&*memcached, "Deleting", "the Deployment goes with it")
                        .await;
                    Ok(Action::await_change())
                }
            }
        })
        .await
    }
}

/// Creates or updates the Deployment of `memcached` and reports how far it is.
async fn deploy(
    memcached: &Memcached,
    memcacheds: &CachedApi<Memcached>,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let desired = deployment(memcached);
    let deployments = ctx.namespaced::<Deployment>(&memcached.namespace().unwrap_or_default());
    // Only the fields set here are compared with the cluster's copy: the API server's
    // defaults in it do not make every reconcile a write.
    let written = deployments
        .create_or_update(&memcached.name_any(), |current| {
            current.metadata.labels = desired.metadata.labels.clone();
            current.metadata.owner_references = desired.metadata.owner_references.clone();
            current.spec = desired.spec.clone();
            Ok(())
        })
        .await;
    let (result, deployment) = match written {
        Ok(written) => written,
        Err(error) => {
            let failed = ConditionBuilder::new(DEGRADED, true, "DeploymentFailed")
                .message(error.to_string())
                .observing(memcached);
            report(memcacheds, memcached, [failed]).await?;
            return Err(error.into());
        }
    };
    if result != OperationResult::Unchanged {
        let size = replicas(memcached);
        let note = format!(
            "Deployment {} {result:?} with {size} replicas",
            memcached.name_any()
        );
        ctx.event(memcached, "Deploying", note).await;
    }
    report(memcacheds, memcached, rollout(memcached, &deployment)).await?;
    Ok(Action::await_change())
}

/// The conditions for `deployment` as its controller reports it.
fn rollout(memcached: &Memcached, deployment: &Deployment) -> [ConditionBuilder; 3] {
    let wanted = replicas(memcached);
    let status = deployment.status.clone().unwrap_or_default();
    let available = status.available_replicas.unwrap_or(0);
    let current = status.observed_generation >= deployment.metadata.generation
        && status.updated_replicas.unwrap_or(0) >= wanted;
    let done = current && available >= wanted;
    let counted = format!("{available} of {wanted} pods available");
    [
        ConditionBuilder::new(
            AVAILABLE,
            available >= wanted,
            if available >= wanted {
                "PodsAvailable"
            } else {
                "PodsUnavailable"
            },
        )
        .message(counted.clone()),
        ConditionBuilder::new(
            PROGRESSING,
            !done,
            if done { "RolledOut" } else { "RollingOut" },
        )
        .message(counted),
        ConditionBuilder::new(DEGRADED, false, "Reconciled").message("the Deployment is written"),
    ]
    .map(|condition| condition.observing(memcached))
}

/// Sets `conditions` on the status of `memcached`; a status already current sends no request.
async fn report(
    memcacheds: &CachedApi<Memcached>,
    memcached: &Memcached,
    conditions: impl IntoIterator<Item = ConditionBuilder>,
) -> Result<(), ReconcileError> {
    memcacheds
        .update_status(memcached, |memcached| {
            let status = memcached.status.get_or_insert_with(Default::default);
            for condition in conditions {
                status.conditions.set(condition);
            }
        })
        .await?;
    Ok(())
}

/// The pods `memcached` asks for (the API server defaults `size` to 1).
fn replicas(memcached: &Memcached) -> i32 {
    memcached.spec.size.unwrap_or(1)
}

/// The Deployment `memcached` asks for: the image in a restricted security context.
pub fn deployment(memcached: &Memcached) -> Deployment {
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/name".to_string(),
            "memcached".to_string(),
        ),
        (
            "app.kubernetes.io/instance".to_string(),
            memcached.name_any(),
        ),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "project-core".to_string(),
        ),
    ]);
    let image = std::env::var(IMAGE_ENV).unwrap_or_else(|_| DEFAULT_IMAGE.to_string());
    let container = Container {
        name: "memcached".into(),
        image: Some(image),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["memcached".into(), "-m=64".into(), "-v".into()]),
        ports: Some(vec![ContainerPort {
            container_port: memcached.spec.container_port.unwrap_or(11211),
            ..ContainerPort::default()
        }]),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    };
    Deployment {
        metadata: ObjectMeta {
            name: Some(memcached.name_any()),
            namespace: memcached.namespace(),
            labels: Some(labels.clone()),
            owner_references: memcached.controller_owner_ref(&()).map(|owner| vec![owner]),
            ..ObjectMeta::default()
        },
        spec: DeploymentSpec {
            replicas: Some(replicas(memcached)),
            selector: LabelSelector {
                match_labels: Some(labels.clone()),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(1001),
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".into(),
                            ..SeccompProfile::default()
                        }),
                        ..PodSecurityContext::default()
                    }),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        },
        status: None,
    }
}
