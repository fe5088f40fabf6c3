//! Bad invocations of the scaffolding commands, run with the real `kubesmith` binary.
//!
//! The table [`CASES`] proves the promise every scaffolding command makes when it refuses: an
//! invalid name or value (project, domain, license, webhook certificates, group, version, Kind,
//! plural), a Kind that is a Rust keyword or clashes with the prelude or generated code, a
//! duplicate or missing API, options that contradict each other or the project (self-managed
//! webhook certificates for a namespaced manager), running outside a project, a PROJECT file that is
//! malformed or from another layout, files in the way, a deleted marker line, a write that fails
//! half-way, a failing `make manifests`, and an `api diff` without CRDs, with a baseline that is
//! neither a directory nor a git ref, with a malformed allow entry or with unallowed breaking
//! changes all end with
//!
//! - exit code 1,
//! - a message on stderr naming the problem and the fix (each case lists the substrings that
//!   show it), and
//! - the directory exactly as it was: every file's path and SHA-256, and every directory (empty
//!   ones too), compared before and after.
//!
//! Every case starts from a fresh copy of a fixture built by the binary itself (`init`,
//! `create api --make=false`, `create webhook`; for `api diff`, a CRD and a git commit of it),
//! optionally edited by hand. All failing cases
//! are reported together. The other tests check that re-running a successful command with
//! `--force` changes nothing, and that `--help`, `completion` and `version` work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

mod git;
mod trees;

use git::git;
use trees::{kubesmith, kubesmith_ok, snapshot, tree_changes};

use Edit::{DeleteLines, Dir, Replace, Write};
use Fixture::{
    Committed, Conversion, Empty, Fresh, Multigroup, Namespaced, TwoVersions, WithApi, WithCrd,
    WithWebhook,
};

/// The name of the directory every case runs in: not a valid project name, so that `init`
/// without `--project-name` refuses it.
const WORK_DIR: &str = "My_Operator";

/// A project built by running the binary: each fixture is its base plus a few commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fixture {
    /// An empty directory.
    Empty,
    /// `init` in an empty directory.
    Fresh,
    /// A fresh project with the namespaced Kind `CronJob` in `batch/v1`, with its controller.
    WithApi,
    /// `WithApi` with a defaulting and a validating webhook for `batch/v1` `CronJob`.
    WithWebhook,
    /// `WithApi` with the version `v2` of `CronJob`, without a controller.
    TwoVersions,
    /// `TwoVersions` with `v1` the conversion hub and `v2` its spoke.
    Conversion,
    /// A multigroup project with `Frigate` in `ship/v1`.
    Multigroup,
    /// A project whose manager is confined to its namespace.
    Namespaced,
    /// `WithApi` with its CRD in `config/crd/bases` (not in a git repository).
    WithCrd,
    /// `WithCrd` committed as the first commit of a git repository.
    Committed,
}

impl Fixture {
    /// The fixture this one is built on.
    fn base(self) -> Option<Fixture> {
        match self {
            Fixture::Empty => None,
            Fixture::Fresh | Fixture::Multigroup | Fixture::Namespaced => Some(Fixture::Empty),
            Fixture::WithApi => Some(Fixture::Fresh),
            Fixture::WithWebhook | Fixture::TwoVersions => Some(Fixture::WithApi),
            Fixture::Conversion => Some(Fixture::TwoVersions),
            Fixture::WithCrd => Some(Fixture::WithApi),
            Fixture::Committed => Some(Fixture::WithCrd),
        }
    }

    /// What is done to the base besides running `kubesmith`.
    fn prepare(self, dir: &Path) {
        match self {
            Fixture::WithCrd => {
                let crds = dir.join("config/crd/bases");
                std::fs::create_dir_all(&crds).expect("the CRD directory");
                std::fs::write(crds.join(CRD_FILE), CRONJOB_CRD).expect("the CRD");
            }
            Fixture::Committed => {
                git(dir, &["init", "--quiet"]);
                git(dir, &["add", "."]);
                git(dir, &["commit", "--quiet", "-m", "v1"]);
            }
            _ => {}
        }
    }

    /// The commands that turn the base into this fixture.
    fn commands(self) -> &'static [&'static str] {
        match self {
            Fixture::Empty => &[],
            Fixture::Fresh => &["init --domain example.com --project-name demo"],
            Fixture::WithApi => {
                &["create api --group batch --version v1 --kind CronJob --make=false"]
            }
            Fixture::WithWebhook => &[
                "create webhook --group batch --version v1 --kind CronJob --defaulting --programmatic-validation --make=false",
            ],
            Fixture::TwoVersions => &[
                "create api --group batch --version v2 --kind CronJob --controller=false --make=false",
            ],
            Fixture::Conversion => &[
                "create webhook --group batch --version v1 --kind CronJob --conversion --spoke v2 --make=false",
            ],
            Fixture::Multigroup => &[
                "init --domain example.com --project-name demo --multigroup",
                "create api --group ship --version v1 --kind Frigate --make=false",
            ],
            Fixture::Namespaced => &["init --domain example.com --project-name demo --namespaced"],
            Fixture::WithCrd | Fixture::Committed => &[],
        }
    }
}

/// A change made by hand to a copy of a fixture before a case runs.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Writes a file (and its directory).
    Write(&'static str, &'static str),
    /// Creates an empty directory.
    Dir(&'static str),
    /// Replaces text in a file (the text must be there).
    Replace(&'static str, &'static str, &'static str),
    /// Deletes the lines of a file that contain the text (there must be one).
    DeleteLines(&'static str, &'static str),
}

/// One bad invocation and what it must print.
#[derive(Debug, Clone, Copy)]
struct Case {
    /// Where it starts.
    fixture: Fixture,
    /// Changes made by hand to the fixture first.
    edits: &'static [Edit],
    /// Extra environment of the command.
    env: &'static [(&'static str, &'static str)],
    /// The arguments, separated by white space.
    args: &'static str,
    /// Substrings stderr must contain: the problem and the fix.
    expect: &'static [&'static str],
    /// Files that must not exist afterwards (those the command would have created).
    absent: &'static [&'static str],
}

const fn case(fixture: Fixture, args: &'static str, expect: &'static [&'static str]) -> Case {
    Case {
        fixture,
        edits: &[],
        env: &[],
        args,
        expect,
        absent: &[],
    }
}

impl Case {
    const fn edits(self, edits: &'static [Edit]) -> Case {
        Case { edits, ..self }
    }

    const fn env(self, env: &'static [(&'static str, &'static str)]) -> Case {
        Case { env, ..self }
    }

    const fn absent(self, absent: &'static [&'static str]) -> Case {
        Case { absent, ..self }
    }
}

/// What a refused command outside a project says.
const NOT_A_PROJECT: &[&str] = &["no PROJECT file in", "project created by kubesmith init"];
/// What a reserved Kind is told.
const RESERVED_KIND: &str = "not a Rust keyword, a prelude type or a name generated code uses";
/// What an invalid version is told.
const VERSION_EXPECTED: &str = "expected a Kubernetes API version such as v1, v1beta1 or v2alpha3";
/// What an invalid project name is told.
const PROJECT_NAME_EXPECTED: &str = "DNS-1123 label of at most 56 characters";
/// The files `create api` of `batch/v1` `CronJob` would create.
const CRONJOB_FILES: &[&str] = &[
    "src/api/v1/cronjob.rs",
    "src/api/v1/mod.rs",
    "src/controller/cronjob.rs",
    "tests/cronjob_controller.rs",
    "config/samples/batch_v1_cronjob.yaml",
    "config/rbac/cronjob_editor_role.yaml",
];

/// The CRD file of `CronJob` in `config/crd/bases`.
const CRD_FILE: &str = "batch.example.com_cronjobs.yaml";
/// A small CRD of `CronJob` `batch/v1`, as `make manifests` would write it.
const CRONJOB_CRD: &str = "---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: cronjobs.batch.example.com
spec:
  group: batch.example.com
  names: {kind: CronJob, listKind: CronJobList, plural: cronjobs, singular: cronjob}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              schedule: {type: string}
              replicas: {type: integer, maximum: 10}
";

/// What `api diff` says about a malformed allow entry.
const ALLOW_EXPECTED: &str = "is not KIND:VERSION:PATH (e.g. CronJob:v1:spec.schedule";

/// The bad invocations.
const CASES: &[Case] = &[
    // init: names and options.
    case(
        Empty,
        "init --domain example.com --project-name demo --license-file /nonexistent/header.txt",
        &["reading /nonexistent/header.txt"],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo --license none --license-file header.txt",
        &["--license-file", "cannot be used with", "--license"],
    ),
    case(
        Empty,
        "init --domain example.com --project-name Demo",
        &["invalid project name \"Demo\"", PROJECT_NAME_EXPECTED],
    ),
    case(
        Empty,
        "init --domain example.com --project-name 1demo",
        &["invalid project name \"1demo\"", "starting with a letter"],
    ),
    case(
        Empty,
        "init --domain example.com --project-name this-project-name-is-far-too-long-for-a-kubernetes-labels",
        &[
            "invalid project name \"this-project-name",
            "at most 56 characters",
        ],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo_operator",
        &[
            "invalid project name \"demo_operator\"",
            PROJECT_NAME_EXPECTED,
        ],
    ),
    case(
        Empty,
        "init --domain example.com",
        &[
            "invalid project name \"My_Operator\"",
            "pass --project-name",
        ],
    ),
    case(
        Empty,
        "init --domain Example_com --project-name demo",
        &[
            "invalid domain \"Example_com\"",
            "DNS-1123 subdomain such as my.domain",
        ],
    ),
    case(
        Empty,
        "init --domain example..com --project-name demo",
        &["invalid domain \"example..com\"", "DNS-1123 subdomain"],
    ),
    case(
        Empty,
        "init --domain= --project-name demo",
        &["invalid domain \"\"", "DNS-1123 subdomain"],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo --license mit",
        &[
            "invalid value 'mit' for '--license",
            "possible values: apache2, none",
        ],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo --webhook-certs vault",
        &[
            "invalid value 'vault' for '--webhook-certs",
            "possible values: cert-manager, self-managed",
        ],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo --webhook-certs",
        &["a value is required for '--webhook-certs"],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo --namespaced --webhook-certs self-managed",
        &[
            "--webhook-certs self-managed needs a manager",
            "use --webhook-certs cert-manager or a cluster-wide manager",
        ],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo --plugins grafana,helmet",
        &[
            "unknown plugin \"helmet\"",
            "grafana (grafana.kubesmith.dev/v1-alpha",
        ],
    ),
    // init where a project is.
    case(
        Fresh,
        "init --domain example.com --project-name demo",
        &[
            "PROJECT already exists",
            "run kubesmith init in an empty directory",
        ],
    ),
    case(
        Fresh,
        "init --domain example.com --project-name demo --force",
        &[
            "PROJECT already exists",
            "run kubesmith init in an empty directory",
        ],
    ),
    case(
        Empty,
        "init --domain example.com --project-name demo",
        &[
            "Makefile already exists",
            "run kubesmith init in an empty directory",
        ],
    )
    .edits(&[Write("Makefile", "all:\n\ttrue\n")]),
    case(
        Empty,
        "init --domain example.com --project-name demo --force",
        &[
            "src/main.rs already exists",
            "run kubesmith init in an empty directory",
        ],
    )
    .edits(&[Write("src/main.rs", "fn main() {}\n")]),
    // Outside a project.
    case(
        Empty,
        "create api --group batch --version v1 --kind CronJob --make=false",
        NOT_A_PROJECT,
    ),
    case(
        Empty,
        "create webhook --group batch --version v1 --kind CronJob --defaulting",
        NOT_A_PROJECT,
    ),
    case(
        Empty,
        "create api --group batch --version v1 --kind CronJob --make=false",
        NOT_A_PROJECT,
    )
    .edits(&[Write("src/main.rs", "fn main() {}\n")]),
    case(
        Empty,
        "create api --group batch --version v1 --kind CronJob --make=false",
        NOT_A_PROJECT,
    )
    .edits(&[Write("Makefile", "all:\n\ttrue\n")]),
    // The PROJECT file.
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &["PROJECT file ./PROJECT is malformed", "line 1 column 9"],
    )
    .edits(&[Write("PROJECT", "domain: [unclosed\n")]),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &[
            "PROJECT file ./PROJECT is malformed",
            "unknown field `colour`",
        ],
    )
    .edits(&[Replace(
        "PROJECT",
        "license: apache2\n",
        "license: apache2\ncolour: blue\n",
    )]),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &[
            "PROJECT file ./PROJECT is malformed",
            "unknown variant `vault`",
        ],
    )
    .edits(&[Replace(
        "PROJECT",
        "license: apache2\n",
        "license: apache2\nwebhookCertificates: vault\n",
    )]),
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind CronJob --defaulting",
        &[
            "PROJECT file ./PROJECT is malformed",
            "unknown field `webhook`",
        ],
    )
    .edits(&[Replace(
        "PROJECT",
        "  controller: true\n",
        "  controller: true\n  webhook: true\n",
    )]),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &["PROJECT layout \"kubesmith.dev/v2\"", "upgrade kubesmith"],
    )
    .edits(&[Replace("PROJECT", "kubesmith.dev/v1", "kubesmith.dev/v2")]),
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind CronJob --defaulting",
        &["PROJECT layout \"kubesmith.dev/v2\"", "upgrade kubesmith"],
    )
    .edits(&[Replace("PROJECT", "kubesmith.dev/v1", "kubesmith.dev/v2")]),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &[
            "PROJECT file ./PROJECT is malformed",
            "expected version \"3\", found \"2\"",
            "correct it",
        ],
    )
    .edits(&[Replace("PROJECT", "version: \"3\"", "version: \"2\"")]),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &["PROJECT file ./PROJECT is malformed", "end of input"],
    )
    .edits(&[Write("PROJECT", "")]),
    // Groups.
    case(
        Fresh,
        "create api --group Batch --version v1 --kind CronJob --make=false",
        &["invalid group \"Batch\"", "lower-case DNS-1123 label"],
    ),
    case(
        Multigroup,
        "create api --group ship.crew --version v1 --kind Frigate --make=false",
        &[
            "invalid group \"ship.crew\"",
            "one DNS-1123 label",
            "names a Rust module",
        ],
    ),
    case(
        Fresh,
        "create api --group type --version v1 --kind CronJob --make=false",
        &["invalid group \"type\"", "not a Rust keyword"],
    ),
    case(
        Fresh,
        "create api --group= --version v1 --kind CronJob --make=false",
        &["invalid group \"\"", "a group name such as batch"],
    ),
    // Versions.
    case(
        Fresh,
        "create api --group batch --version 1 --kind CronJob --make=false",
        &["invalid version \"1\"", VERSION_EXPECTED],
    ),
    case(
        Fresh,
        "create api --group batch --version v --kind CronJob --make=false",
        &["invalid version \"v\"", VERSION_EXPECTED],
    ),
    case(
        Fresh,
        "create api --group batch --version v0 --kind CronJob --make=false",
        &["invalid version \"v0\"", VERSION_EXPECTED],
    ),
    case(
        Fresh,
        "create api --group batch --version v1beta --kind CronJob --make=false",
        &["invalid version \"v1beta\"", VERSION_EXPECTED],
    ),
    case(
        Fresh,
        "create api --group batch --version V1 --kind CronJob --make=false",
        &["invalid version \"V1\"", VERSION_EXPECTED],
    ),
    case(
        Fresh,
        "create api --group batch --version v1gamma1 --kind CronJob --make=false",
        &["invalid version \"v1gamma1\"", VERSION_EXPECTED],
    ),
    // Kinds.
    case(
        Fresh,
        "create api --group batch --version v1 --kind cronJob --make=false",
        &[
            "invalid kind \"cronJob\"",
            "starting with an upper-case letter",
        ],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Cron-Job --make=false",
        &[
            "invalid kind \"Cron-Job\"",
            "CamelCase ASCII letters and digits",
        ],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind= --make=false",
        &["invalid kind \"\"", "CamelCase ASCII letters and digits"],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Type --make=false",
        &["invalid kind \"Type\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Self --make=false",
        &["invalid kind \"Self\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Box --make=false",
        &["invalid kind \"Box\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Option --make=false",
        &["invalid kind \"Option\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Result --make=false",
        &["invalid kind \"Result\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind String --make=false",
        &["invalid kind \"String\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Vec --make=false",
        &["invalid kind \"Vec\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Match --make=false",
        &["invalid kind \"Match\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind Reconciler --make=false",
        &["invalid kind \"Reconciler\"", RESERVED_KIND],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind FooSpec --make=false",
        &[
            "invalid kind \"FooSpec\"",
            "not ending in Spec, Status or List",
        ],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind FooList --make=false",
        &[
            "invalid kind \"FooList\"",
            "not ending in Spec, Status or List",
        ],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind FooStatus --make=false",
        &[
            "invalid kind \"FooStatus\"",
            "not ending in Spec, Status or List",
        ],
    ),
    // Plurals.
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --plural CronJobs --make=false",
        &[
            "invalid plural \"CronJobs\"",
            "lower-case DNS-1035 label such as cronjobs",
        ],
    ),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --plural cron_jobs --make=false",
        &[
            "invalid plural \"cron_jobs\"",
            "lower-case DNS-1035 label such as cronjobs",
        ],
    ),
    case(
        TwoVersions,
        "create api --group batch --version v3 --kind CronJob --plural cronjobz --controller=false --make=false",
        &["CronJob is \"cronjobs\" in v1", "pass --plural cronjobs"],
    ),
    case(
        WithApi,
        "create api --group batch --version v1 --kind Job --plural cronjobs --make=false",
        &[
            "the plural \"cronjobs\" names CronJob already",
            "pass another --plural",
        ],
    ),
    // create api against the project.
    case(
        WithApi,
        "create api --group batch --version v1 --kind Job --resource=false --controller=false --make=false",
        &["nothing to scaffold", "drop one of them"],
    ),
    case(
        WithApi,
        "create api --group batch --version v1 --kind Widget --resource=false --make=false",
        &[
            "--resource=false",
            "Widget batch/v1 is neither",
            "create the API first",
        ],
    ),
    // Kinds of Kubernetes itself.
    case(
        Fresh,
        "create api --group apps --version v1 --kind Deployment --resource=false --plural deploys --make=false",
        &[
            "Deployment is \"deployments\" in Kubernetes",
            "drop --plural",
        ],
    ),
    case(
        Namespaced,
        "create api --group core --version v1 --kind Namespace --resource=false --make=false",
        &["Namespace is cluster-scoped", "confined to its namespace"],
    ),
    case(
        Fresh,
        "create api --group apps --version v1 --kind Pod --resource=false --make=false",
        &["Pod apps/v1 is neither", "create the API first"],
    ),
    // Further controllers by name.
    case(
        WithApi,
        "create api --group batch --version v1 --kind CronJob --resource=false --controller-name cron_backup --make=false",
        &[
            "--controller-name adds a further controller",
            "CronJob batch/v1 is neither",
        ],
    ),
    case(
        Fresh,
        "create api --group apps --version v1 --kind Deployment --resource=false --controller-name Backup --make=false",
        &["--controller-name", "Backup", "such as deployment_backup"],
    ),
    // Another project's Kind.
    case(
        Fresh,
        "create api --group shop --version v1 --kind Widget --external-api-path widgets::v1 --external-api-domain example.com --make=false",
        &[
            "--external-api-path names another project's types",
            "pass --resource=false",
        ],
    ),
    case(
        Fresh,
        "create api --group shop --version v1 --kind Widget --resource=false --external-api-path widgets/v1 --external-api-domain example.com --make=false",
        &["--external-api-path", "widgets/v1", "such as widgets::v1"],
    ),
    case(
        Fresh,
        "create api --group shop --version v1 --kind Widget --resource=false --external-api-path widgets::v1 --make=false",
        &["--external-api-domain"],
    ),
    case(
        Fresh,
        "create webhook --group core --version v1 --kind Pod --conversion --spoke v2",
        &[
            "Pod is not this project's Kind",
            "--conversion is for this project's Kinds",
        ],
    ),
    case(
        Fresh,
        "create webhook --group core --version v1 --kind Pod",
        &["nothing to scaffold", "--defaulting"],
    ),
    case(
        WithApi,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &["CronJob batch/v1 already exists in PROJECT", "use --force"],
    ),
    case(
        WithApi,
        "create api --group batch --version v2 --kind CronJob --make=false",
        &[
            "CronJob has a controller already (batch/v1)",
            "pass --controller=false (or, for v1 itself",
        ],
    ),
    // --force does not help when the controller is in another version (it was passed here).
    case(
        TwoVersions,
        "create api --group batch --version v2 --kind CronJob --force --make=false",
        &[
            "CronJob has a controller already (batch/v1)",
            "pass --controller=false (or, for v1 itself",
        ],
    ),
    case(
        WithApi,
        "create api --group apps --version v1 --kind Deployment --make=false",
        &[
            "single API group \"batch\"",
            "use --group batch",
            "init --multigroup",
        ],
    ),
    case(
        Namespaced,
        "create api --group batch --version v1 --kind Cluster --namespaced=false --make=false",
        &["Cluster would be cluster-scoped", "drop --namespaced=false"],
    ),
    case(
        WithApi,
        "create api --group batch --version v2 --kind CronJob --namespaced=false --controller=false --make=false",
        &["CronJob v1 is namespaced", "pass --namespaced=true"],
    ),
    // Files in the way.
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &[
            "src/api/v1/cronjob.rs exists",
            "use --force to overwrite it",
        ],
    )
    .edits(&[Write("src/api/v1/cronjob.rs", "// written by hand\n")]),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &[
            "tests/cronjob_controller.rs exists",
            "use --force to overwrite it",
        ],
    )
    .edits(&[Write("tests/cronjob_controller.rs", "// written by hand\n")]),
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind CronJob --defaulting",
        &[
            "src/webhook/v1/cronjob.rs exists",
            "use --force to overwrite it",
        ],
    )
    .edits(&[Write("src/webhook/v1/cronjob.rs", "// written by hand\n")]),
    // A marker line deleted: the command names it and writes nothing. (Unclear: the message
    // also offers "scaffold again with --force", which fails the same way.)
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --make=false",
        &[
            "src/lib.rs is missing or has no `+kubesmith:scaffold:operator` marker line",
            "restore it",
        ],
    )
    .edits(&[DeleteLines("src/lib.rs", "+kubesmith:scaffold:operator")])
    .absent(CRONJOB_FILES),
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind CronJob --defaulting",
        &[
            "src/lib.rs is missing or has no `+kubesmith:scaffold:modules` marker line",
            "restore it",
        ],
    )
    .edits(&[DeleteLines("src/lib.rs", "+kubesmith:scaffold:modules")])
    .absent(&["src/webhook/v1/cronjob.rs", "src/webhook/mod.rs"]),
    // A write that fails half-way (a directory where a file goes, with --force): every file
    // written before it is restored.
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob --force --make=false",
        &[
            "writing ./tests/cronjob_controller.rs",
            "nothing was changed",
        ],
    )
    .edits(&[Dir("tests/cronjob_controller.rs")])
    .absent(&["src/api/v1/cronjob.rs", "src/controller/cronjob.rs"]),
    // A failing `make manifests` undoes the scaffold.
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob",
        &[
            "`false manifests` failed",
            "the project was restored as it was",
            "pass --make=false",
        ],
    )
    .env(&[("MAKE", "false")])
    .absent(CRONJOB_FILES),
    case(
        WithApi,
        "create api --group batch --version v1 --kind Job",
        &[
            "`false manifests` failed",
            "the project was restored as it was",
            "pass --make=false",
        ],
    )
    .env(&[("MAKE", "false")])
    .absent(&[
        "src/api/v1/job.rs",
        "src/controller/job.rs",
        "tests/job_controller.rs",
    ]),
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob",
        &[
            "could not start /nonexistent/make",
            "failed after scaffolding",
            "pass --make=false",
        ],
    )
    .env(&[("MAKE", "/nonexistent/make")])
    .absent(CRONJOB_FILES),
    // A directory that was there (empty) before stays after the restore.
    case(
        Fresh,
        "create api --group batch --version v1 --kind CronJob",
        &[
            "`false manifests` failed",
            "the project was restored as it was",
        ],
    )
    .edits(&[Dir("tests")])
    .env(&[("MAKE", "false")]),
    // The same for create webhook and edit, which change what `make manifests` writes too.
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind CronJob --defaulting",
        &[
            "`false manifests` failed",
            "the project was restored as it was",
        ],
    )
    .env(&[("MAKE", "false")])
    .absent(&["src/webhook/v1/cronjob.rs", "tests/cronjob_v1_webhook.rs"]),
    case(
        WithApi,
        "edit --namespaced",
        &[
            "`false manifests` failed",
            "the project was restored as it was",
        ],
    )
    .env(&[("MAKE", "false")]),
    // create webhook.
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind CronJob",
        &[
            "nothing to scaffold",
            "pass --defaulting, --programmatic-validation and/or --conversion",
        ],
    ),
    case(
        TwoVersions,
        "create webhook --group batch --version v1 --kind CronJob --conversion",
        &["--conversion needs the versions", "pass --spoke <version>"],
    ),
    case(
        TwoVersions,
        "create webhook --group batch --version v1 --kind CronJob --defaulting --spoke v2",
        &["--spoke goes with --conversion"],
    ),
    case(
        TwoVersions,
        "create webhook --group batch --version v1 --kind CronJob --conversion --spoke v3",
        &[
            "conversion spoke v3",
            "another version of CronJob in this project (it has: v2)",
        ],
    ),
    case(
        TwoVersions,
        "create webhook --group batch --version v1 --kind CronJob --conversion --spoke v1",
        &[
            "--spoke v1 is the hub itself",
            "the other versions of CronJob",
        ],
    ),
    // The Kind has no other version: the message says to create it.
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind CronJob --conversion --spoke v2",
        &[
            "conversion spoke v2",
            "it has: no other version",
            "create v2 first",
        ],
    ),
    // The --spoke is named.
    case(
        TwoVersions,
        "create webhook --group batch --version v1 --kind CronJob --conversion --spoke V2",
        &["invalid --spoke version \"V2\""],
    ),
    case(
        Conversion,
        "create webhook --group batch --version v2 --kind CronJob --conversion --spoke v1",
        &[
            "CronJob v1 is the conversion hub of CronJob already",
            "a Kind has one hub",
        ],
    ),
    case(
        WithApi,
        "create webhook --group batch --version v2 --kind CronJob --defaulting",
        &[
            "CronJob batch/v2 is neither an API of this project nor a Kind of Kubernetes",
            "create it first with kubesmith create api",
        ],
    ),
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind Widget --programmatic-validation",
        &[
            "Widget batch/v1 is neither an API of this project nor a Kind of Kubernetes",
            "create it first",
        ],
    ),
    case(
        WithWebhook,
        "create webhook --group batch --version v1 --kind CronJob --defaulting",
        &[
            "CronJob batch/v1 already has a defaulting webhook",
            "use --force",
        ],
    ),
    case(
        WithWebhook,
        "create webhook --group batch --version v1 --kind CronJob --programmatic-validation",
        &[
            "CronJob batch/v1 already has a validation webhook",
            "use --force",
        ],
    ),
    case(
        WithApi,
        "create webhook --group batch --version v1 --kind Box --defaulting",
        &["invalid kind \"Box\"", RESERVED_KIND],
    ),
    case(
        WithApi,
        "create webhook --group batch --version v1beta --kind CronJob --defaulting",
        &["invalid version \"v1beta\"", VERSION_EXPECTED],
    ),
    // Usage errors (clap), which exit with 1 too.
    case(
        WithApi,
        "create api --group batch --version v1 --kind Job --bogus --make=false",
        &["unexpected argument '--bogus'", "--help"],
    ),
    case(
        WithApi,
        "create api --group batch --version v1 --make=false",
        &["required arguments were not provided", "--kind <KIND>"],
    ),
    case(
        WithApi,
        "create api --group batch --version v1 --kind Job --namespaced=maybe --make=false",
        &["invalid value 'maybe'", "possible values: true, false"],
    ),
    case(
        WithApi,
        "create webhook --group batch --kind CronJob --defaulting",
        &[
            "required arguments were not provided",
            "--version <VERSION>",
        ],
    ),
    case(
        Fresh,
        "bogus",
        &["unrecognized subcommand 'bogus'", "--help"],
    ),
    // api diff.
    case(
        Committed,
        "api diff no-such-branch",
        &[
            "no-such-branch is neither a directory nor a git ref of this repository",
            "fetch it first (e.g. git fetch origin), or pass a directory of CRD YAML files",
        ],
    ),
    case(
        Committed,
        "api diff ./released-crds --check",
        &[
            "baseline directory ./released-crds does not exist",
            "pass a directory of CRD YAML files, or a git ref such as origin/main",
        ],
    ),
    case(
        WithCrd,
        "api diff PROJECT",
        &[
            "baseline PROJECT is a file",
            "expected a directory of CRD YAML files or a git ref",
        ],
    ),
    case(
        WithApi,
        "api diff origin/main --check",
        &[
            "no CRDs to compare: ./config/crd/bases does not exist",
            "run make manifests first, or pass --crds DIR",
        ],
    ),
    case(
        Committed,
        "api diff HEAD --crds deploy/crds",
        &[
            "no CRDs to compare: ./deploy/crds does not exist",
            "pass --crds DIR",
        ],
    ),
    case(
        Committed,
        "api diff HEAD --check --allow CronJob:spec.schedule",
        &[
            "invalid value 'CronJob:spec.schedule' for '--allow <KIND:VERSION:PATH>'",
            ALLOW_EXPECTED,
        ],
    ),
    case(
        Committed,
        "api diff HEAD --check --allow CronJob:v1:",
        &["invalid value 'CronJob:v1:' for '--allow", ALLOW_EXPECTED],
    ),
    case(
        Committed,
        "api diff HEAD --check",
        &[
            "./hack/api-breaks-allowed.txt:2: \"CronJob v1 spec.schedule\"",
            ALLOW_EXPECTED,
        ],
    )
    .edits(&[Write(
        "hack/api-breaks-allowed.txt",
        "# intentional breaks\nCronJob v1 spec.schedule\n",
    )]),
    case(
        WithCrd,
        "api diff origin/main",
        &[
            "origin/main is not a directory, and . is not inside a git repository",
            "pass a directory of CRD YAML files, or run in a git checkout",
        ],
    ),
    case(
        WithCrd,
        "api diff old",
        &["old/crds.yaml holds no valid CRDs"],
    )
    .edits(&[Write("old/crds.yaml", "kind: [CustomResourceDefinition\n")]),
    case(
        Committed,
        "api diff HEAD --check",
        &[
            "error: 1 breaking change against HEAD not allowed: make it compatible",
            "--allow KIND:VERSION:PATH or a line in hack/api-breaks-allowed.txt",
        ],
    )
    .edits(&[Replace(
        "config/crd/bases/batch.example.com_cronjobs.yaml",
        "maximum: 10",
        "maximum: 5",
    )]),
    case(
        Committed,
        "api diff --check",
        &["required arguments were not provided", "<BASE>"],
    ),
    // delete, edit and alpha generate.
    case(
        Empty,
        "delete api --group batch --version v1 --kind CronJob",
        NOT_A_PROJECT,
    ),
    case(
        Fresh,
        "delete api --group batch --version v1 --kind CronJob --make=false",
        &[
            "CronJob batch/v1 has no API in this project",
            "kubesmith create api",
        ],
    ),
    case(
        WithApi,
        "delete api --group batch --version v2 --kind CronJob --make=false",
        &["CronJob batch/v2 has no API in this project"],
    ),
    case(
        WithWebhook,
        "delete api --group batch --version v1 --kind CronJob --make=false",
        &[
            "CronJob batch/v1 has webhooks, which need its API",
            "kubesmith delete webhook --group batch --version v1 --kind CronJob",
        ],
    ),
    case(
        Conversion,
        "delete api --group batch --version v2 --kind CronJob --make=false",
        &[
            "CronJob batch/v2 is converted through the conversion webhook of v1",
            "kubesmith delete webhook --group batch --version v1 --kind CronJob",
        ],
    ),
    case(
        WithApi,
        "delete api --group batch --version v1 --kind CronJob --make=false",
        &[
            "this file changed since kubesmith generated it: src/api/v1/cronjob.rs",
            "pass --force",
        ],
    )
    .edits(&[Replace(
        "src/api/v1/cronjob.rs",
        "pub struct CronJobSpec",
        "pub struct CronJobSpec ",
    )]),
    case(
        WithWebhook,
        "delete webhook --group batch --version v1 --kind CronJob --make=false",
        &[
            "these files changed since kubesmith generated them",
            "src/webhook/v1/cronjob.rs",
            "tests/cronjob_v1_webhook.rs",
        ],
    )
    .edits(&[
        Write("src/webhook/v1/cronjob.rs", "// mine\n"),
        Write("tests/cronjob_v1_webhook.rs", "// mine\n"),
    ]),
    case(
        WithApi,
        "delete webhook --group batch --version v1 --kind CronJob --make=false",
        &[
            "CronJob batch/v1 has no webhook in this project",
            "kubesmith create webhook",
        ],
    ),
    case(
        WithApi,
        "delete api --group batch --version v1 --kind CronJob --make=false",
        &[
            "kubesmith's change to this file clashes with your edits there",
            "src/lib.rs",
            "Restore the `+kubesmith:scaffold:` markers",
        ],
    )
    .edits(&[DeleteLines("src/lib.rs", "+kubesmith:scaffold:operator")]),
    case(Empty, "edit --multigroup", NOT_A_PROJECT),
    case(
        Fresh,
        "edit",
        &[
            "nothing to change",
            "pass --namespaced, --multigroup or --webhook-certs",
        ],
    ),
    case(
        Multigroup,
        "edit --multigroup=false",
        &["a multigroup project stays multigroup"],
    ),
    case(
        WithApi,
        "edit --namespaced",
        &[
            "CronJob batch/v1 is cluster-scoped",
            "keep --namespaced=false",
        ],
    )
    .edits(&[DeleteLines("PROJECT", "namespaced: true")]),
    case(
        Fresh,
        "edit --namespaced=maybe",
        &["invalid value 'maybe' for '--namespaced"],
    ),
    case(
        Namespaced,
        "edit --webhook-certs self-managed",
        &[
            "--webhook-certs self-managed needs a manager",
            "confined to its namespace (--namespaced)",
            "use --webhook-certs cert-manager",
        ],
    ),
    case(
        Fresh,
        "edit --webhook-certs vault",
        &[
            "invalid value 'vault' for '--webhook-certs",
            "possible values: cert-manager, self-managed",
        ],
    ),
    case(
        Fresh,
        "edit --plugins nope",
        &[
            "unknown plugin \"nope\"",
            "this kubesmith knows deploy-image",
        ],
    ),
    case(
        Fresh,
        "edit --plugins grafana",
        &[
            "nothing to change",
            "--plugins with a plugin it does not use",
        ],
    )
    .edits(&[Replace(
        "PROJECT",
        "projectName:",
        "plugins:\n  grafana.kubesmith.dev/v1-alpha: {}\nprojectName:",
    )]),
    // A PROJECT listing a plugin this CLI does not know: re-scaffolding it would leave the
    // plugin's files out, so the commands that do refuse.
    case(
        WithApi,
        "delete api --group batch --version v1 --kind CronJob --make=false",
        &[
            "unknown plugin \"helm.example.com/v9\"",
            "needs the kubesmith that added it",
        ],
    )
    .edits(&[Replace(
        "PROJECT",
        "projectName:",
        "plugins:\n  helm.example.com/v9: {}\nprojectName:",
    )]),
    case(
        WithApi,
        "alpha generate",
        &["unknown plugin \"helm.example.com/v9\""],
    )
    .edits(&[Replace(
        "PROJECT",
        "projectName:",
        "plugins:\n  helm.example.com/v9: {}\nprojectName:",
    )]),
    // Plugins named where they do not take part, and the deploy-image plugin's flags.
    case(
        Empty,
        "init --domain example.com --project-name demo --plugins deploy-image",
        &[
            "the deploy-image plugin scaffolds one Kind",
            "create api --plugins deploy-image",
        ],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --plugins grafana",
        &[
            "the grafana plugin is added to a project",
            "kubesmith edit --plugins grafana",
        ],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --plugins deploy-image",
        &["needs the image to run", "pass --image"],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --image memcached:1.6",
        &[
            "--image belongs to the deploy-image plugin",
            "add --plugins deploy-image",
        ],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --run-as-user 1001 --image-container-port 80",
        &["--image-container-port and --run-as-user belong to the deploy-image plugin"],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --plugins deploy-image --image memcached:1.6 --namespaced=false",
        &["must be namespaced", "drop --namespaced=false"],
    ),
    case(
        WithApi,
        "create api --group batch --version v1 --kind CronJob --resource=false --controller=true --force --plugins deploy-image --image memcached:1.6 --make=false",
        &["scaffolds a Kind's types and its controller together"],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --plugins deploy-image --image memcached:1.6 --run-as-user 0",
        &["--run-as-user 0 is root", "runs as non-root"],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --plugins deploy-image --image memcached:1.6 --image-container-port 0",
        &["invalid value '0' for '--image-container-port"],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --plugins deploy-image --image memcached@@:1.6!",
        &["invalid --image \"memcached@@:1.6!\"", "an image reference"],
    ),
    case(
        Fresh,
        "create api --group cache --version v1 --kind Memcached --plugins deploy-image --image memcached:1.6 --image-container-command memcached,,-v",
        &["invalid --image-container-command", "none empty"],
    ),
    case(
        Fresh,
        "create api --group shop --version v1 --kind Widget --resource=false --external-api-path widgets::v1 --external-api-domain example.com --external-api-module widgets",
        &[
            "invalid --external-api-module \"widgets\"",
            "<crate>@<version>",
        ],
    ),
    case(
        Fresh,
        "create api --group shop --version v1 --kind Widget --resource=false --external-api-path gadgets::v1 --external-api-domain example.com --external-api-module widgets@0.3",
        &["is the crate widgets, but --external-api-path gadgets::v1 starts with gadgets"],
    ),
    case(
        Fresh,
        "create api --group shop --version v1 --kind Widget --external-api-module widgets@0.3",
        &["--external-api-path"],
    ),
    case(Empty, "alpha generate", NOT_A_PROJECT),
    case(
        Fresh,
        "alpha generate --output out",
        &["out is not empty", "pass --force to replace it"],
    )
    .edits(&[Write("out/notes.txt", "keep me\n")]),
    // The helm plugin and its chart.
    case(
        Fresh,
        "edit --plugins helm --make=false",
        &[
            "clashes with your edits",
            "Makefile",
            "`+kubesmith:scaffold:` markers",
        ],
    )
    .edits(&[DeleteLines(
        "Makefile",
        "+kubesmith:scaffold:build-installer",
    )]),
    case(
        Fresh,
        "alpha helm-chart",
        &["dist/install.yaml not found", "make build-installer"],
    ),
    case(Fresh, "alpha helm-chart", &["dist/install.yaml", "as YAML"])
        .edits(&[Write("dist/install.yaml", "kind: [unclosed\n")]),
    case(Fresh, "alpha helm-chart", &["has no Deployment"]).edits(&[Write(
        "dist/install.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: p-system\n",
    )]),
    case(
        Fresh,
        "alpha helm-chart",
        &[
            "dist/chart/values.yaml lacks values",
            "webhook.enable",
            "--force",
        ],
    )
    .edits(&[
        Write("dist/install.yaml", HELM_INSTALL),
        Write(
            "dist/chart/values.yaml",
            "manager:\n  image: {repository: op, tag: v1}\n  replicas: 1\n  resources: {}\n",
        ),
    ]),
    case(
        Fresh,
        "alpha update --from-binary /usr/bin/true",
        &["is not in a git repository", "git init"],
    ),
];

/// Rendered manifests with a manager and a webhook configuration, for `alpha helm-chart`.
const HELM_INSTALL: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: p-controller-manager\n  namespace: p-system\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        image: op:v1\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: p-validating-webhook-configuration\n";

/// A new temporary directory holding the (empty) work directory.
fn work_dir() -> (TempDir, PathBuf) {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join(WORK_DIR);
    std::fs::create_dir(&dir).expect("the work directory");
    (temp, dir)
}

/// Copies the tree `from` into the existing directory `to`, empty directories included.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("a readable directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            std::fs::create_dir(&target).expect("a directory");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a copied file");
        }
    }
}

/// Applies a hand edit to the project in `dir`.
fn apply(dir: &Path, edit: Edit) {
    let read = |path: &str| std::fs::read_to_string(dir.join(path)).expect("a file to edit");
    let write = |path: &str, text: &str| {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("a directory");
        std::fs::write(full, text).expect("an edited file");
    };
    match edit {
        Edit::Write(path, text) => write(path, text),
        Edit::Dir(path) => std::fs::create_dir_all(dir.join(path)).expect("a directory"),
        Edit::Replace(path, from, to) => {
            let text = read(path);
            assert!(text.contains(from), "{path} does not contain {from:?}");
            write(path, &text.replacen(from, to, 1));
        }
        Edit::DeleteLines(path, needle) => {
            let text = read(path);
            assert!(text.contains(needle), "{path} does not contain {needle:?}");
            let kept: String = text
                .lines()
                .filter(|line| !line.contains(needle))
                .map(|line| format!("{line}\n"))
                .collect();
            write(path, &kept);
        }
    }
}

/// The fixtures built so far, each built once by the binary and copied for every case.
#[derive(Default)]
struct Fixtures {
    built: BTreeMap<Fixture, (TempDir, PathBuf)>,
}

impl Fixtures {
    /// The directory of `fixture`, built on first use.
    fn get(&mut self, fixture: Fixture) -> PathBuf {
        if let Some((_, dir)) = self.built.get(&fixture) {
            return dir.clone();
        }
        let (temp, dir) = work_dir();
        if let Some(base) = fixture.base() {
            copy_tree(&self.get(base), &dir);
        }
        for command in fixture.commands() {
            kubesmith_ok(&dir, command);
        }
        fixture.prepare(&dir);
        self.built.insert(fixture, (temp, dir.clone()));
        dir
    }

    /// A fresh copy of `fixture`.
    fn copy(&mut self, fixture: Fixture) -> (TempDir, PathBuf) {
        let source = self.get(fixture);
        let (temp, dir) = work_dir();
        copy_tree(&source, &dir);
        (temp, dir)
    }
}

/// Runs one case; returns what went wrong, if anything.
fn run_case(fixtures: &mut Fixtures, case: &Case) -> Vec<String> {
    let (_temp, dir) = fixtures.copy(case.fixture);
    for edit in case.edits {
        apply(&dir, *edit);
    }
    let before = snapshot(&dir);
    let output = kubesmith(&dir, case.args, case.env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problems = Vec::new();
    if output.status.code() != Some(1) {
        problems.push(format!("exit status {} instead of 1", output.status));
    }
    for expected in case.expect {
        if !stderr.contains(expected) {
            problems.push(format!("stderr lacks {expected:?}"));
        }
    }
    problems.extend(
        tree_changes(&before, &snapshot(&dir))
            .into_iter()
            .map(|change| format!("tree changed: {change}")),
    );
    for path in case.absent {
        if dir.join(path).exists() {
            problems.push(format!("{path} exists afterwards"));
        }
    }
    if !problems.is_empty() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        for (name, text) in [("stdout", stdout.trim_end()), ("stderr", stderr.trim_end())] {
            if !text.is_empty() {
                problems.push(format!("{name}:\n    {}", text.replace('\n', "\n    ")));
            }
        }
    }
    problems
}

#[test]
fn bad_invocations_exit_1_name_the_problem_and_change_nothing() {
    assert!(CASES.len() >= 45, "the table has {} cases", CASES.len());
    let mut fixtures = Fixtures::default();
    let mut failures = Vec::new();
    for (index, case) in CASES.iter().enumerate() {
        let problems = run_case(&mut fixtures, case);
        if !problems.is_empty() {
            failures.push(format!(
                "case {index}: kubesmith {} (fixture {:?}, edits {:?}, env {:?})\n  {}",
                case.args,
                case.fixture,
                case.edits,
                case.env,
                problems.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

#[test]
fn rerunning_with_force_changes_nothing() {
    let mut fixtures = Fixtures::default();
    let (_temp, dir) = fixtures.copy(Fresh);
    let commands = [
        "create api --group batch --version v1 --kind CronJob --force --make=false",
        "create api --group batch --version v2 --kind CronJob --controller=false --force --make=false",
        "create webhook --group batch --version v1 --kind CronJob --defaulting --programmatic-validation --force --make=false",
        "create webhook --group batch --version v1 --kind CronJob --conversion --spoke v2 --force --make=false",
    ];
    for command in commands {
        kubesmith_ok(&dir, command);
        let before = snapshot(&dir);
        let again = kubesmith_ok(&dir, command);
        let stdout = String::from_utf8_lossy(&again.stdout);
        assert!(
            stdout.contains("nothing to change"),
            "kubesmith {command} again says:\n{stdout}"
        );
        let changes = tree_changes(&before, &snapshot(&dir));
        assert!(changes.is_empty(), "kubesmith {command} again: {changes:?}");
    }

    let before = snapshot(&dir);
    let output = kubesmith(
        &dir,
        "init --domain example.com --project-name demo --force",
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "init --force again: {stderr}"
    );
    assert!(stderr.contains("PROJECT already exists"), "{stderr}");
    assert_eq!(tree_changes(&before, &snapshot(&dir)), Vec::<String>::new());
}

#[test]
fn help_completion_and_version() {
    let (_temp, dir) = work_dir();
    let stdout_of = |args: &str| {
        let output = kubesmith_ok(&dir, args);
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    for (args, example) in [
        ("init --help", "kubesmith init --domain example.com"),
        ("create api --help", "kubesmith create api --group batch"),
        (
            "create webhook --help",
            "kubesmith create webhook --group batch",
        ),
        ("api diff --help", "kubesmith api diff origin/main"),
    ] {
        let help = stdout_of(args);
        assert!(
            help.contains("Examples:") && help.contains(example),
            "kubesmith {args}:\n{help}"
        );
    }
    let completion = stdout_of("completion bash");
    assert!(
        completion.contains("_kubesmith") && completion.contains("complete "),
        "{completion}"
    );
    let version = format!("kubesmith {}", env!("CARGO_PKG_VERSION"));
    assert!(stdout_of("version").contains(&version));
    assert!(stdout_of("--version").contains(&version));
    assert_eq!(snapshot(&dir), BTreeMap::new(), "nothing is written");
}
