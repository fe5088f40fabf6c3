//! Projects scaffolded by the `kubesmith` CLI, built and run against real control planes: the
//! generated code builds without a warning, passes clippy and its own envtest tests; `make
//! manifests`, `install`, `run`, `deploy`, `undeploy` and `build-installer` work against an
//! envtest API server; the generated RBAC is exactly enough; `make docker-build` and `make
//! docker-buildx` make static nonroot images with podman; a security scanner finds only the
//! documented choices in the rendered manifests. The book's tutorial project passes its own
//! lint and tests.
//!
//! Every scaffold depends on this repository's crates by path and builds into one target
//! directory (`<target>/scaffolds`), so dependencies compile once for all of them.

mod deploy;
mod edit;
mod image;
mod lifecycle;
mod local;
mod multigroup;
mod rbac;
mod security;
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
    let path = kubesmith_e2e::scaffolded::workspace_root()
        .join("tests/golden")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("the golden project's commands");
    let commands: Vec<Vec<String>> = serde_json::from_str(&text).expect("a JSON list of commands");
    let (init, rest) = commands.split_first().expect("an init command");
    assert_eq!(
        init.first().map(String::as_str),
        Some("init"),
        "{name}.json starts with init"
    );
    let init: Vec<&str> = init[1..].iter().map(String::as_str).collect();
    let rest: Vec<Vec<&str>> = rest
        .iter()
        .map(|command| command.iter().map(String::as_str).collect())
        .collect();
    let rest: Vec<&[&str]> = rest.iter().map(Vec::as_slice).collect();
    scaffold(name, &init, &rest)
}

/// Scaffolds `name` in `$TMPDIR/kubesmith-e2e-<checkout>/` (outside this workspace, one
/// directory per checkout, kept for a look after a failure) with `init <init>` and `commands`.
fn scaffold(name: &str, init: &[&str], commands: &[&[&str]]) -> Scaffold {
    let project =
        Scaffold::init_at(&kept_dir(name), init).unwrap_or_else(|error| panic!("{error:#}"));
    for command in commands {
        project
            .kubesmith(command)
            .unwrap_or_else(|error| panic!("{error:#}"));
    }
    project
}

/// `$TMPDIR/kubesmith-e2e-<checkout>/<name>`: where the project `name` of these tests lives,
/// one directory per checkout, kept for a look after a failure.
fn kept_dir(name: &str) -> PathBuf {
    use std::hash::{Hash as _, Hasher as _};
    let mut checkout = std::collections::hash_map::DefaultHasher::new();
    kubesmith_e2e::scaffolded::workspace_root().hash(&mut checkout);
    std::env::temp_dir()
        .join(format!("kubesmith-e2e-{:016x}", checkout.finish()))
        .join(name)
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
    kubesmith_cli::scaffold::tree::read_files(dir).expect("the files of a directory")
}
