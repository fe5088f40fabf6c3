//! A project that lives on: scaffolded single-group, turned multigroup with `kubesmith edit`
//! (its Kinds moved, a user module's paths rewritten), then an API and its webhooks deleted.
//! After each step it builds without a warning and passes `make lint`.

use kubesmith_e2e::scaffolded::check_success;

use super::{build, scaffold};

#[test]
fn a_project_edited_to_multigroup_and_trimmed_keeps_building() {
    let project = scaffold(
        "project-edited",
        &[
            "--domain",
            "example.com",
            "--project-name",
            "project-edited",
        ],
        &[
            &words("create api --group batch --version v1 --kind CronJob --make=false"),
            &words(
                "create api --group batch --version v2 --kind CronJob --controller=false --make=false",
            ),
            &words(
                "create api --group batch --version v1 --kind Cluster --namespaced=false --make=false",
            ),
            &words(
                "create webhook --group batch --version v1 --kind CronJob --defaulting --conversion --spoke v2 --make=false",
            ),
        ],
    );
    std::fs::write(
        project.file("src/schedule.rs"),
        "//! When the next run is due.\n\nuse crate::api::v1::cronjob::CronJob;\n\n/// The schedule of `job`.\npub fn schedule(job: &CronJob) -> &str {\n    job.metadata.name.as_deref().unwrap_or_default()\n}\n",
    )
    .expect("a module of our own");
    let lib = std::fs::read_to_string(project.file("src/lib.rs")).expect("lib.rs");
    std::fs::write(
        project.file("src/lib.rs"),
        format!("{lib}pub mod schedule;\n"),
    )
    .expect("lib.rs declares it");

    project
        .kubesmith(&words("edit --multigroup --make=false"))
        .unwrap_or_else(|error| panic!("{error:#}"));
    assert!(project.file("src/api/batch/v1/cronjob.rs").is_file());
    assert!(!project.file("src/api/v1").exists());
    let schedule = std::fs::read_to_string(project.file("src/schedule.rs")).expect("schedule.rs");
    assert!(
        schedule.contains("use crate::api::batch::v1::cronjob::CronJob;"),
        "{schedule}"
    );
    build(&project);
    check_success(
        "make lint",
        &project.make(&["lint"], &[]).expect("make lint"),
    )
    .unwrap_or_else(|error| panic!("{error:#}"));

    for command in [
        "delete webhook --group batch --version v1 --kind CronJob --make=false",
        "delete api --group batch --version v2 --kind CronJob --make=false",
        "delete api --group batch --version v1 --kind Cluster --make=false",
    ] {
        project
            .kubesmith(&words(command))
            .unwrap_or_else(|error| panic!("{error:#}"));
    }
    assert!(!project.file("src/webhook/batch").exists());
    assert!(
        !project
            .file("config/crd/bases/batch.example.com_clusters.yaml")
            .exists()
    );
    build(&project);
    check_success(
        "make lint",
        &project.make(&["lint"], &[]).expect("make lint"),
    )
    .unwrap_or_else(|error| panic!("{error:#}"));
}

/// The white-space separated words of a command line.
fn words(command: &str) -> Vec<&str> {
    command.split_whitespace().collect()
}
