//! Projects scaffolded by the `kubesmith` CLI, built and run against real control planes: the
//! generated code builds without a warning, passes clippy and its own envtest tests; `make
//! manifests`, `install`, `run`, `deploy`, `undeploy` and `build-installer` work against an
//! envtest API server; `make test-e2e` and the end-to-end suite's checks do what they can
//! without a node; the generated RBAC is exactly enough; `make docker-build` and `make
//! docker-buildx` make static nonroot images with podman; a security scanner finds only the
//! documented choices in the rendered manifests; a project with self-managed webhook
//! certificates needs no cert-manager; a project with a controller and webhooks for
//! Kubernetes' own Kinds (Deployment, Pod) passes its own tests, and its Helm chart renders
//! what its `make build-installer` writes. The book's tutorial project
//! passes its own lint and tests. A project resolved afresh, with the newest compatible
//! dependencies, compiles without a warning.
//!
//! Every scaffold depends on this repository's crates by path and builds into one target
//! directory (`scaffolds` in the machine cache, shared by checkouts), so dependencies compile
//! once for all of them.

mod core_kinds;
mod deploy;
mod e2e_suite;
mod edit;
mod fresh_dependencies;
mod helm;
mod image;
mod lifecycle;
mod local;
mod multigroup;
mod rbac;
mod security;
mod self_managed;
mod stand_ins;
mod tutorial;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kubesmith_e2e::scaffolded::Scaffold;

/// The single-group project: a namespaced Kind (`Captain`, two versions converted by a
/// webhook, defaulting and validating webhooks) and a cluster-scoped one (`Admiral`, with its
/// own plural and a defaulting webhook). Scaffolded and built once for every test.
fn single_group() -> &'static Scaffold {
    static PROJECT: OnceLock<Scaffold> = OnceLock::new();
    PROJECT.get_or_init(|| {
        let project = golden("project");
        build(&project);
        project
    })
}

/// Scaffolds the golden project `name` with the commands of `tests/golden/<name>.json` (the
/// ones the golden test of the CLI runs), so the projects compared file by file there are the
/// ones built and tested here.
fn golden(name: &str) -> Scaffold {
    golden_as(name, name)
}

/// [`golden`] `name`, scaffolded in the directory of the project `dir` (for a second copy).
fn golden_as(name: &str, dir: &str) -> Scaffold {
    Scaffold::golden(name, dir).unwrap_or_else(|error| panic!("{error:#}"))
}

/// Scaffolds `name` in its kept directory with `init <init>` and `commands`.
fn scaffold(name: &str, init: &[&str], commands: &[&[&str]]) -> Scaffold {
    Scaffold::kept(name, init, commands).unwrap_or_else(|error| panic!("{error:#}"))
}

/// Builds every target with every feature (no warning allowed), then writes the manifests.
fn build(project: &Scaffold) {
    project
        .cargo(&["build", "--all-targets", "--all-features"])
        .unwrap_or_else(|error| panic!("{error:#}"));
    let manifests = project.make(&["manifests"], &[]).expect("make manifests");
    kubesmith_e2e::scaffolded::check_success("make manifests", &manifests)
        .unwrap_or_else(|error| panic!("{error:#}"));
}

/// Runs `make lint` and `make test` of `project`, both of which must pass; returns what
/// `make test` printed.
fn lint_and_test(project: &Scaffold) -> String {
    kubesmith_e2e::scaffolded::check_success(
        "make lint",
        &project.make(&["lint"], &[]).expect("make lint"),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let test = project
        .make(&["test"], &[("KUBESMITH", kubesmith_binary())])
        .expect("make test");
    kubesmith_e2e::scaffolded::check_success("make test", &test)
        .unwrap_or_else(|e| panic!("{e:#}"));
    String::from_utf8_lossy(&test.stdout).into_owned()
}

/// The `kubesmith` binary, as the `KUBESMITH` of the scaffolds' Makefiles.
fn kubesmith_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kubesmith-under-test"))
}

/// kubectl from `KUBEBUILDER_ASSETS` (envtest's assets carry one), else from `PATH`.
fn kubectl() -> PathBuf {
    std::env::var_os("KUBEBUILDER_ASSETS")
        .map(|dir| PathBuf::from(dir).join("kubectl"))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| "kubectl".into())
}

/// Every file under `dir` (relative path and text), to compare trees.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    kubesmith_cli::scaffold::engine::tree::read_files(dir).expect("the files of a directory")
}
