//! The daily loop on the single-group project: `make manifests` (stable), `make lint`,
//! `make test` (the project's own envtest tests; stale manifests fail it), `make install` and
//! `make run` reconciling the samples to `Ready`.

use std::time::{Duration, Instant};

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kubesmith::envtest::Environment;
use kubesmith_e2e::scaffolded::{Scaffold, check_success};

use super::local::{apply_samples, install_and_run, is_ready, wait_until};
use super::{kubesmith_binary, single_group, tree};

#[test]
fn make_manifests_is_stable_and_lint_passes() {
    let project = single_group();
    let before = tree(&project.file("config"));
    let again = project.make(&["manifests"], &[]).expect("make manifests");
    check_success("make manifests", &again).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("manifests are up to date"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(
        before == tree(&project.file("config")),
        "a second make manifests changed config/"
    );
    for base in [
        "crew.testproject.org_captains.yaml",
        "crew.testproject.org_admirales.yaml",
    ] {
        assert!(
            project.file("config/crd/bases").join(base).is_file(),
            "{base}"
        );
    }
    let lint = project.make(&["lint"], &[]).expect("make lint");
    check_success("make lint", &lint).unwrap_or_else(|e| panic!("{e:#}"));
}

#[test]
fn make_test_runs_the_generated_tests_against_envtest() {
    let project = single_group();
    let test = project
        .make(&["test"], &[("KUBESMITH", kubesmith_binary())])
        .expect("make test");
    check_success("make test", &test).unwrap_or_else(|e| panic!("{e:#}"));
    let stdout = String::from_utf8_lossy(&test.stdout);
    for test in [
        "test captain_is_reconciled_to_ready ... ok",
        "test admiral_is_reconciled_to_ready ... ok",
        "test the_api_server_calls_the_webhooks ... ok",
    ] {
        assert!(stdout.contains(test), "{test} missing from:\n{stdout}");
    }
}

#[test]
fn make_test_fails_on_stale_manifests() {
    // A copy, so that the shared project stays as scaffolded.
    let copy = Scaffold::init(&["--domain", "testproject.org", "--project-name", "stale"])
        .expect("a project");
    copy.kubesmith(&[
        "create",
        "api",
        "--group",
        "crew",
        "--version",
        "v1",
        "--kind",
        "Captain",
        "--make=false",
    ])
    .expect("create api");
    check_success(
        "make manifests",
        &copy.make(&["manifests"], &[]).expect("make"),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let types = copy.file("src/api/v1/captain.rs");
    let text = std::fs::read_to_string(&types).expect("types");
    std::fs::write(&types, text.replace("max_length = 64", "max_length = 32")).expect("edit");
    let test = copy
        .make(&["test"], &[("KUBESMITH", kubesmith_binary())])
        .expect("make test");
    let stderr = String::from_utf8_lossy(&test.stderr);
    assert!(
        !test.status.success(),
        "make test passed with stale manifests"
    );
    assert!(
        stderr.contains("config/crd/bases/crew.testproject.org_captains.yaml"),
        "the stale file is not named:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn make_install_then_make_run_reconcile_the_samples_to_ready() {
    let project = single_group();
    let env = Environment::start().await.expect("no test control plane");
    let probes = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let mut manager = install_and_run(
        project,
        &env,
        &format!("--metrics-bind-address=0 --health-probe-bind-address={probes}"),
    );
    // The v1 samples: v2 objects would be stored through the conversion webhook, which runs
    // in the cluster only.
    apply_samples(
        project,
        &env,
        &["crew_v1_captain.yaml", "crew_v1_admiral.yaml"],
    )
    .await;
    let client = env.client().expect("client");
    let resource = |kind: &str| {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("crew.testproject.org", "v1", kind),
            if kind == "Admiral" {
                "admirales"
            } else {
                "captains"
            },
        )
    };
    let captains: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "default", &resource("Captain"));
    let admirals: Api<DynamicObject> = Api::all_with(client, &resource("Admiral"));
    let deadline = Instant::now() + Duration::from_secs(180);
    for (api, name) in [(&captains, "captain-sample"), (&admirals, "admiral-sample")] {
        wait_until(
            &mut manager,
            deadline,
            &format!("{name} not Ready"),
            async || is_ready(api, name).await,
        )
        .await;
    }
    manager.stop(Duration::from_secs(10));
    env.stop().await;
}
