//! What cert-manager is made of here: its version, namespace and the three components.

/// The cert-manager release: the newest the Go module proxy serves (Kubernetes 1.37 clusters
/// run it; its client libraries are 0.36).
pub const VERSION: &str = "v1.21.2";

/// The namespace cert-manager is installed into (the chart's usual one).
pub const NAMESPACE: &str = "cert-manager";

/// One of cert-manager's long-running components (each a Deployment of the chart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// Issues and renews certificates (Deployment `cert-manager`).
    Controller,
    /// Validates, mutates and converts cert-manager's resources (`cert-manager-webhook`).
    Webhook,
    /// Injects CA bundles into webhook configurations and CRDs (`cert-manager-cainjector`).
    Cainjector,
}

impl Component {
    /// Every component, in the order the chart lists them.
    pub const ALL: [Component; 3] = [
        Component::Controller,
        Component::Webhook,
        Component::Cainjector,
    ];

    /// The component's name: its binary and its entrypoint package.
    pub fn name(self) -> &'static str {
        match self {
            Component::Controller => "controller",
            Component::Webhook => "webhook",
            Component::Cainjector => "cainjector",
        }
    }

    /// The name of its Deployment when the chart is installed as release `cert-manager`.
    pub fn deployment(self) -> &'static str {
        match self {
            Component::Controller => "cert-manager",
            Component::Webhook => "cert-manager-webhook",
            Component::Cainjector => "cert-manager-cainjector",
        }
    }

    /// The image the chart runs it from: `quay.io/jetstack/cert-manager-<name>:<VERSION>`.
    pub fn image(self) -> String {
        format!("quay.io/jetstack/cert-manager-{}:{VERSION}", self.name())
    }
}
