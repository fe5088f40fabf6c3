//! `kubesmith api diff` on a real pair of CRD versions: a project in a subdirectory of a git
//! repository commits its CRD, then removes a field, lowers a maximum and adds an optional
//! field; the binary compares the working tree with `HEAD`.

mod git;
mod trees;

use git::git;
use trees::{kubesmith, kubesmith_ok, snapshot, tree_changes};

/// The CRD as committed: a CronJob much like kubebuilder's tutorial writes.
const CRONJOB_CRD: &str = r#"---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: cronjobs.batch.example.com
spec:
  group: batch.example.com
  names:
    kind: CronJob
    listKind: CronJobList
    plural: cronjobs
    singular: cronjob
    shortNames:
    - cj
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - jsonPath: .spec.schedule
      name: Schedule
      type: string
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        description: CronJob runs a Job on a schedule.
        type: object
        required:
        - spec
        properties:
          apiVersion:
            type: string
          kind:
            type: string
          metadata:
            type: object
          spec:
            type: object
            required:
            - schedule
            - jobTemplate
            properties:
              schedule:
                description: The schedule in Cron format.
                type: string
                minLength: 1
              startingDeadlineSeconds:
                description: Deadline for starting a missed run, in seconds.
                type: integer
                format: int64
                minimum: 0
                maximum: 3600
              concurrencyPolicy:
                type: string
                enum:
                - Allow
                - Forbid
                - Replace
                default: Allow
              suspend:
                description: Stops later runs; running ones continue.
                type: boolean
              successfulJobsHistoryLimit:
                type: integer
                format: int32
                minimum: 0
              jobTemplate:
                type: object
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              active:
                type: array
                x-kubernetes-list-type: atomic
                items:
                  type: string
              lastScheduleTime:
                type: string
                format: date-time
"#;

/// The project's directory inside the repository.
const PROJECT: &str = "operators/cronjob";
/// The CRD file, relative to the project.
const CRD_FILE: &str = "config/crd/bases/batch.example.com_cronjobs.yaml";

/// A repository with the CRD committed in the project, then edited in the working tree.
fn edited_project() -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let project = temp.path().join(PROJECT);
    let crd = project.join(CRD_FILE);
    std::fs::create_dir_all(crd.parent().expect("a parent")).expect("the CRD directory");
    std::fs::write(&crd, CRONJOB_CRD).expect("the CRD");
    git(temp.path(), &["init", "--quiet"]);
    git(temp.path(), &["add", "."]);
    git(temp.path(), &["commit", "--quiet", "-m", "CronJob v1"]);

    let suspend = "              suspend:\n                description: Stops later runs; running ones continue.\n                type: boolean\n";
    let time_zone = "              timeZone:\n                description: The time zone of the schedule.\n                type: string\n                maxLength: 64\n";
    let edited = CRONJOB_CRD
        .replace(suspend, time_zone)
        .replace("maximum: 3600", "maximum: 600")
        .replace(
            "The schedule in Cron format.",
            "When to run, in Cron format.",
        );
    assert_ne!(edited, CRONJOB_CRD);
    std::fs::write(&crd, edited).expect("the edited CRD");
    (temp, project)
}

const SUSPEND_REMOVED: &str = "breaking  CronJob v1 spec.suspend: field removed (was boolean) — ";
const MAXIMUM_LOWERED: &str = "breaking  CronJob v1 spec.startingDeadlineSeconds: maximum 3600 → 600 — values above 600 are now rejected";
const TIME_ZONE_ADDED: &str = "safe      CronJob v1 spec.timeZone: optional field added (string)";

#[test]
fn check_fails_on_breaking_changes_against_head() {
    let (_temp, project) = edited_project();
    let output = kubesmith(&project, "api diff HEAD --check", &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("CronJob v1 (cronjobs.batch.example.com)\n"),
        "{stdout}"
    );
    for line in [SUSPEND_REMOVED, MAXIMUM_LOWERED, TIME_ZONE_ADDED] {
        assert!(stdout.contains(line), "no {line:?} in\n{stdout}");
    }
    assert_eq!(
        stdout.lines().filter(|line| line.starts_with("  ")).count(),
        3,
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\n2 breaking, 1 safe changes\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("schedule:"),
        "descriptions are ignored:\n{stdout}"
    );
    assert_eq!(
        stderr.trim_end(),
        "error: 2 breaking changes against HEAD not allowed: make them compatible, or record each \
         intentional break with --allow KIND:VERSION:PATH or a line in hack/api-breaks-allowed.txt"
    );
}

#[test]
fn allowed_breaks_pass_the_check() {
    let (_temp, project) = edited_project();
    let output = kubesmith(
        &project,
        "api diff HEAD --check --allow CronJob:v1:spec.suspend --allow CronJob:v1:spec.starting*",
        &[],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(MAXIMUM_LOWERED), "{stdout}");
    assert_eq!(stdout.matches(" [allowed]\n").count(), 2, "{stdout}");
    assert!(
        stdout.ends_with("\n2 breaking (2 allowed), 1 safe changes\n"),
        "{stdout}"
    );

    // One break recorded in the project's file, the other still refused.
    let allow_file = project.join("hack/api-breaks-allowed.txt");
    std::fs::create_dir_all(allow_file.parent().expect("hack")).expect("hack/");
    std::fs::write(
        &allow_file,
        "# Intentional: suspend moved to a policy.\nCronJob:v1:spec.suspend\n",
    )
    .expect("the allow-list");
    let output = kubesmith(&project, "api diff HEAD --check", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: 1 breaking change against HEAD not allowed: make it compatible"),
        "{stderr}"
    );
    std::fs::write(
        &allow_file,
        "CronJob:v1:spec.suspend\nCronJob:v1:spec.startingDeadlineSeconds  # shorter deadline\n\nCronJob:v1:spec.gone\n",
    )
    .expect("the allow-list");
    let output = kubesmith(&project, "api diff HEAD --check", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "warning: the allowed break CronJob:v1:spec.gone matches no breaking change; remove it when it is stale"
    );
}

#[test]
fn without_check_the_report_is_printed_and_the_command_succeeds() {
    let (temp, project) = edited_project();
    let before = snapshot(temp.path());
    let output = kubesmith_ok(&project, "api diff HEAD");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        tree_changes(&before, &snapshot(temp.path())),
        Vec::<String>::new(),
        "a report writes nothing"
    );
    for line in [SUSPEND_REMOVED, MAXIMUM_LOWERED, TIME_ZONE_ADDED] {
        assert!(stdout.contains(line), "no {line:?} in\n{stdout}");
    }
    assert!(
        stdout.ends_with("\n2 breaking, 1 safe changes\n"),
        "{stdout}"
    );

    // A directory baseline gives the same report, and the committed state none.
    let released = temp.path().join("released");
    std::fs::create_dir(&released).expect("a directory");
    std::fs::write(released.join("crds.yaml"), CRONJOB_CRD).expect("the released CRD");
    let from_dir = kubesmith(
        &project,
        &format!("api diff {released}", released = released.display()),
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&from_dir.stdout)
            .replace(released.to_str().expect("UTF-8"), "HEAD"),
        stdout
    );
    git(
        temp.path(),
        &["commit", "--quiet", "-am", "CronJob v1, edited"],
    );
    let output = kubesmith(&project, "api diff HEAD --check", &[]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "No changes to the CRDs against HEAD.\n0 breaking, 0 safe changes\n"
    );
}
