//! The `deployment_backup` controller of Deployments: its declaration (what it reconciles, owns and watches, from which
//! `make manifests` derives its RBAC rules) and its reconciler. Deployment is Kubernetes' own
//! `apps/v1` Kind: no CRD, and other controllers (Kubernetes' own among
//! them) work on the same objects.

use k8s_openapi::api::apps::v1::Deployment;
use kubesmith::prelude::*;

/// What the `deployment_backup` controller is: it reconciles every Deployment in the manager's namespaces. Narrow it
/// with `.selection(...)` (labels or fields) or `.predicate(...)`, and declare what else it
/// touches (`.owns::<ConfigMap>()` for objects it creates, `.reads::<Secret>()` for objects it
/// reads): the manager runs what it declares, and `make manifests` grants what it declares
/// (`crate::operator` lists it).
pub fn controller() -> Controller<Deployment> {
    Controller::new().named("deployment_backup")
}

/// Acts on Deployments.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeploymentBackupReconciler;

impl Reconciler<Deployment> for DeploymentBackupReconciler {
    async fn reconcile(
        &self,
        deployment: Arc<Deployment>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        // `deployment` is the latest version in the manager's cache; read other kinds from
        // the cache too (declare them with `.reads` or `.owns`).

        // TODO(user): act on `deployment`. Change only what this operator owns (objects it
        // creates with an owner reference to the Deployment, an annotation of its own): the
        // Deployment's spec and status belong to its users and to Kubernetes.
        let _ = ctx;
        tracing::debug!(name = %deployment.name_any(), "reconciled");
        Ok(Action::await_change())
    }
}
