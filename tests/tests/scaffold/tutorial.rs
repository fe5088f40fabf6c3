//! The book's tutorial project (`book/cronjob`, scaffolded with the CLI and then edited): its
//! `make lint` (rustfmt, clippy with warnings as errors) and `make test` (manifests up to date,
//! then its own unit and envtest tests) pass, and run locally as the book says (`make install`,
//! `make run`, the samples applied) it starts the sample's Job. Built as a copy, into the
//! shared scaffold target directory, against this checkout's crates. The commands of the
//! tutorial's first page scaffold a project that passes clippy.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kubesmith::envtest::Environment;
use kubesmith_e2e::scaffolded::{Scaffold, check_success, kept_dir, workspace_root};

use super::kubesmith_binary;
use super::local::{apply_samples, free_address, install_and_run, wait_until, wait_until_ready};

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

#[tokio::test(flavor = "multi_thread")]
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

    run_locally_as_the_book_says(&project).await;
}

/// "Running locally" of the chapter on deploying: `make install`, `make run`, both samples
/// applied (the v2 one through the conversion webhook `make run` serves), and a Job started
/// for the v1 sample on the real clock (the sample runs every minute).
async fn run_locally_as_the_book_says(project: &Scaffold) {
    let env = Environment::start().await.expect("a control plane");
    let probes = free_address();
    let mut manager = install_and_run(
        project,
        &env,
        &format!("--metrics-bind-address=0 --health-probe-bind-address={probes}"),
    );
    // The build of `make run` comes first; ready, it serves the webhooks. Both samples: the
    // v2 one is stored through the conversion webhook `make run` serves.
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(300));
    wait_until_ready(&mut manager, deadline, probes).await;
    apply_samples(
        project,
        &env,
        &["batch_v1_cronjob.yaml", "batch_v2_cronjob.yaml"],
    )
    .await;

    let client = env.client().expect("a client");
    let cron_jobs: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "default",
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("batch.tutorial.kubesmith.dev", "v1", "CronJob"),
            "cronjobs",
        ),
    );
    let jobs: Api<Job> = Api::namespaced(client, "default");
    // The next minute starts the first run.
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(180));
    wait_until(
        &mut manager,
        deadline,
        "no Job started for the sample",
        async || {
            cron_jobs
                .get("cronjob-sample-v2")
                .await
                .expect("the v2 sample, read as v1 through the webhook of make run");
            let sample = cron_jobs.get("cronjob-sample").await.expect("the sample");
            let active = sample.data["status"]["active"]
                .as_array()
                .map_or(0, Vec::len);
            let started = jobs.list(&ListParams::default()).await.expect("jobs").items;
            active > 0
                && started
                    .iter()
                    .any(|job| job.name_any().starts_with("cronjob-sample-"))
        },
    )
    .await;
    manager.stop(Duration::from_secs(10));
    env.stop().await;
}

/// The `kubesmith` commands of a tutorial page, in order: the lines of its `sh` blocks that
/// start with `kubesmith` (continued by a trailing `\`), split into words (double quotes
/// group).
fn book_commands(page: &str) -> Vec<Vec<String>> {
    let path = workspace_root().join("book/src/tutorial").join(page);
    let text = std::fs::read_to_string(&path).expect("a tutorial page");
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut joined = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        joined.push_str(line.trim());
        if joined.ends_with('\\') {
            joined.pop();
            joined.push(' ');
            continue;
        }
        if joined.starts_with("kubesmith ") {
            commands.push(words(&joined));
        }
        joined.clear();
    }
    commands
}

/// `line` split at spaces outside double quotes.
fn words(line: &str) -> Vec<String> {
    let mut words = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !words.last().is_some_and(String::is_empty) {
                    words.push(String::new());
                }
            }
            c => words.last_mut().expect("a word").push(c),
        }
    }
    words.retain(|word| !word.is_empty());
    words
}

#[test]
fn the_commands_of_the_tutorial_scaffold_a_project_that_builds() {
    // The first page lists every command; the chapter on versions repeats the last two.
    let commands = book_commands("index.md");
    assert!(
        commands.ends_with(&book_commands("versions.md")),
        "the commands of versions.md are not the last ones of index.md"
    );
    let names: Vec<String> = commands
        .iter()
        .map(|command| command[..2].join(" "))
        .collect();
    assert_eq!(
        names,
        [
            "kubesmith init",
            "kubesmith create",
            "kubesmith create",
            "kubesmith create",
            "kubesmith create"
        ],
        "{commands:?}"
    );
    // The directory the book makes (`mkdir cronjob`) names the project: `cronjob`, like the
    // module of its Kind.
    let (init, rest) = commands.split_first().expect("commands");
    let mut init: Vec<&str> = init[2..].iter().map(String::as_str).collect();
    init.extend(["--project-name", "cronjob"]);
    let rest: Vec<Vec<&str>> = rest
        .iter()
        .map(|command| command[1..].iter().map(String::as_str).collect())
        .collect();
    let rest: Vec<&[&str]> = rest.iter().map(Vec::as_slice).collect();
    let project = super::scaffold("tutorial-scaffold", &init, &rest);
    project
        .cargo(&[
            "clippy",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ])
        .unwrap_or_else(|error| panic!("{error:#}"));
}
