//! `kubesmith`, the command-line tool of the kubesmith operator SDK.
//!
//! The binary is a thin wrapper: [`command::Cli`] parses the arguments and runs them. The
//! work is done in one module per area, each usable as a library:
//!
//! - [`scaffold`] — `kubesmith init`, `create api` and `create webhook`: operator projects
//!   rendered from the handlebars templates embedded at build time, all files or none.
//! - [`envtest`] — the envtest asset manager (`kubesmith envtest use | list | cleanup`): finds,
//!   downloads (SHA-512 verified) or builds the etcd, kube-apiserver and kubectl binaries that
//!   envtest-based tests run, in the store shared with Go's `setup-envtest`. Start with
//!   [`envtest::AssetManager`].
//! - [`api_diff`] — `kubesmith api diff`: the project's CRDs compared with a git ref or a
//!   directory, every change classified breaking or safe; `--check` fails on unrecorded breaks.
//! - [`helm`] — `kubesmith alpha helm-chart`: a Helm chart made from the project's rendered
//!   manifests (`dist/install.yaml`), its settings in `values.yaml`.
//! - [`command`] — the clap definition of the command line.
//!
//! Every command returns [`Error`]; its messages say what was expected and what was found.

pub mod api_diff;
pub mod command;
pub mod envtest;
mod error;
pub mod helm;
pub mod scaffold;

pub use error::Error;
