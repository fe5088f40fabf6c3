//! The book's tutorial project (`book/cronjob`, scaffolded with the CLI and then edited): its
//! `make lint` (rustfmt, clippy with warnings as errors) and `make test` (manifests up to date,
//! then its own unit and envtest tests) pass, and its v1 sample is valid for its CRD. Built
//! as a copy, into the shared scaffold target directory, against this checkout's crates.

use std::process::Command;

use kubesmith::envtest::Environment;
use kubesmith_e2e::scaffolded::{Scaffold, check_success, workspace_root};

use super::{kept_dir, kubectl, kubesmith_binary};

/// The tests of the tutorial project, each of which must have run and passed.
const TUTORIAL_TESTS: &[&str] = &[
    "schedule::tests::the_latest_of_several_missed_runs_is_the_one_due",
    "controller::cronjob::tests::jobs_are_sorted_into_active_successful_and_failed_by_run",
    "api::v2::cronjob_conversion::tests::a_schedule_goes_to_v2_and_back_unchanged",
    "a_due_run_starts_a_job_that_the_status_lists",
    "a_suspended_cron_job_starts_nothing",
    "an_invalid_schedule_is_reported_in_the_status",
    "deleting_a_cron_job_deletes_its_jobs_first",
    "the_api_server_calls_the_webhooks",
];

#[tokio::test]
async fn the_tutorial_project_passes_lint_and_its_own_tests() {
    let project = Scaffold::copy_of(
        &workspace_root().join("book/cronjob"),
        &kept_dir("tutorial"),
    )
    .unwrap_or_else(|error| panic!("{error:#}"));

    let lint = project.make(&["lint"], &[]).expect("make lint");
    check_success("make lint", &lint).unwrap_or_else(|error| panic!("{error:#}"));

    // `make test` fails first on manifests that `make manifests` would change.
    let test = project
        .make(&["test"], &[("KUBESMITH", kubesmith_binary())])
        .expect("make test");
    check_success("make test", &test).unwrap_or_else(|error| panic!("{error:#}"));
    let stdout = String::from_utf8_lossy(&test.stdout);
    for name in TUTORIAL_TESTS {
        assert!(
            stdout.contains(&format!("test {name} ... ok")),
            "{name} did not pass:\n{stdout}"
        );
    }

    // The sample the tutorial applies is a valid CronJob for the API server.
    let env = Environment::builder()
        .crd_directory(project.file("config/crd/bases"))
        .error_if_crd_path_missing(true)
        .start()
        .await
        .expect("a control plane");
    let kubeconfig = env.kubeconfig_path().expect("a kubeconfig").to_path_buf();
    let created = Command::new(kubectl())
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["create", "--dry-run=server", "-n", "default", "-f"])
        .arg(project.file("config/samples/batch_v1_cronjob.yaml"))
        .output()
        .expect("kubectl");
    check_success("kubectl create --dry-run=server", &created)
        .unwrap_or_else(|error| panic!("{error:#}"));
    env.stop().await;
}
