//! `kubesmith alpha helm-chart`: a Helm chart made from the project's rendered manifests
//! (`dist/install.yaml`, which `make build-installer` writes from `config/default`), so that
//! the chart installs what `make deploy` does. Each object becomes a template of its part
//! (`templates/crd`, `rbac`, `manager`, `webhook`, `certmanager`, `metrics`, ...); the install's
//! namespace becomes the release's, the manager's image, pull policy, replicas and resources
//! come from `values.yaml`, and each optional part has its `<part>.enable` value. The
//! templates are rewritten on every run; `values.yaml` and `Chart.yaml` are written once and
//! then belong to the user (a kept `values.yaml` that lacks a value the new templates read is
//! an error naming it). With default values, `helm template --namespace <ns>` gives the
//! objects of the install but its Namespace, CRDs annotated to be kept on uninstall.
//!
//! ```
//! let install = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: p-system\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: p-controller-manager\n  namespace: p-system\n  labels:\n    app.kubernetes.io/name: p\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: manager\n        image: controller:dev\n";
//! let chart = kubesmith_cli::helm::chart(install, std::path::Path::new("dist/install.yaml"))?;
//! assert_eq!(chart.name, "p");
//! let manager = &chart.templates[std::path::Path::new("templates/manager/controller-manager.yaml")];
//! assert!(manager.contains("namespace: {{ .Release.Namespace }}"));
//! assert!(chart.values.contains("tag: \"dev\""));
//! # Ok::<(), kubesmith_cli::helm::HelmError>(())
//! ```

mod chart;
mod command;
mod error;
mod objects;
mod template;
mod values;

pub use chart::{Chart, chart};
pub use command::HelmChartArgs;
pub use error::HelmError;
pub use objects::Section;
