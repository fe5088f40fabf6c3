//! The daily loop on the single-group project: `make manifests` (stable), `make lint`,
//! `make test` (the project's own envtest tests; stale manifests fail it), `make install` and
//! `make run` serving the webhooks (the cluster pointed at it, and back when it stops) and
//! reconciling the samples to `Ready`.

use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kubesmith::envtest::Environment;
use kubesmith::webhook::LOCAL_WEBHOOKS_ANNOTATION;
use kubesmith_e2e::scaffolded::{Scaffold, check_success};

use super::local::{
    apply_samples, free_address, install_and_run, is_ready, wait_until, wait_until_ready,
};
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
async fn make_install_then_make_run_serve_the_webhooks_and_reconcile_the_samples_to_ready() {
    let project = single_group();
    let env = Environment::start().await.expect("no test control plane");
    let probes = free_address();
    let mut manager = install_and_run(
        project,
        &env,
        &format!("--metrics-bind-address=0 --health-probe-bind-address={probes}"),
    );
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(300));
    // Ready once the cluster's webhook configurations and conversion point at `make run`.
    wait_until_ready(&mut manager, deadline, probes).await;
    // The v2 sample is stored through the conversion webhook `make run` serves.
    apply_samples(
        project,
        &env,
        &[
            "crew_v1_captain.yaml",
            "crew_v1_admiral.yaml",
            "crew_v2_captain.yaml",
        ],
    )
    .await;
    let client = env.client().expect("client");
    let resource = |version: &str, kind: &str| {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("crew.testproject.org", version, kind),
            if kind == "Admiral" {
                "admirales"
            } else {
                "captains"
            },
        )
    };
    let captains: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "default", &resource("v1", "Captain"));
    let admirals: Api<DynamicObject> = Api::all_with(client.clone(), &resource("v1", "Admiral"));
    for (api, name) in [(&captains, "captain-sample"), (&admirals, "admiral-sample")] {
        wait_until(
            &mut manager,
            deadline,
            &format!("{name} not Ready"),
            async || is_ready(api, name).await,
        )
        .await;
    }
    // The defaulting and validating webhooks of `make run` are called.
    let without_foo: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "crew.testproject.org/v1",
        "kind": "Captain",
        "metadata": {"name": "defaulted"},
        "spec": {},
    }))
    .expect("a Captain");
    let defaulted = captains
        .create(&PostParams::default(), &without_foo)
        .await
        .expect("a Captain without foo is created");
    assert_eq!(defaulted.data["spec"]["foo"], "default", "{defaulted:?}");
    let mut blank = without_foo.clone();
    blank.metadata.name = Some("blank".into());
    blank.data["spec"]["foo"] = " ".into();
    let refused = captains.create(&PostParams::default(), &blank).await;
    assert!(
        matches!(&refused, Err(kube::Error::Api(status)) if status.code == 422),
        "{refused:?}"
    );
    let as_v2: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "default", &resource("v2", "Captain"));
    as_v2
        .get("defaulted")
        .await
        .expect("read as v2 through the conversion webhook of make run");

    // Stopped, `make run` puts the CRD's conversion back and deletes the configurations it
    // made for its webhooks (`make install` installed none).
    manager.stop(Duration::from_secs(10));
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mutating: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let validating: Api<ValidatingWebhookConfiguration> = Api::all(client);
    let made = "project.testproject.org-local-webhooks";
    let put_back = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
    loop {
        let crd = crds
            .get("captains.crew.testproject.org")
            .await
            .expect("the CRD");
        let client_config = crd
            .spec
            .conversion
            .and_then(|conversion| conversion.webhook)
            .and_then(|webhook| webhook.client_config);
        let restored = client_config.is_some_and(|config| config.service.is_some())
            && crd
                .metadata
                .annotations
                .is_none_or(|annotations| !annotations.contains_key(LOCAL_WEBHOOKS_ANNOTATION))
            && mutating.get_opt(made).await.expect("read").is_none()
            && validating.get_opt(made).await.expect("read").is_none();
        if restored {
            break;
        }
        assert!(
            Instant::now() < put_back,
            "make run did not put the cluster back; it said:\n{}",
            manager.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    env.stop().await;
}
