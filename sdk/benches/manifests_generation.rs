//! `make manifests` for a project with 10 Kinds: CRDs with markers plus RBAC.
//!
//! Measures the generation as users run it — a process that builds every CRD, checks it and
//! writes `config/` — by spawning this binary with `--generate <dir>`; the median of the runs
//! is reported. With `CONTROLLER_GEN=<binary>` and `CONTROLLER_GEN_PROJECT=<dir of an
//! equivalent Go API>` it times controller-gen on the same machine in the same run and prints
//! the ratio:
//!
//! ```text
//! CONTROLLER_GEN=/tmp/cg/bin/controller-gen CONTROLLER_GEN_PROJECT=/tmp/cg/project \
//!   cargo bench -p kubesmith --bench manifests_generation
//! ```

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use kubesmith::manifests::Manifests;
use kubesmith::rbac::Rule;

/// Ten Kinds of the same shape as the Go API the peer is timed on.
macro_rules! kinds {
    ($($module:ident => $root:ident, $kind:literal, $plural:literal;)*) => {
        $(
            mod $module {
                use kube::CustomResource;
                use schemars::JsonSchema;
                use serde::{Deserialize, Serialize};

                /// A benchmark Kind.
                #[kubesmith::markers]
                #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
                #[kube(group = "bench.kubesmith.dev", version = "v1", kind = $kind, plural = $plural, namespaced, status = "Status")]
                #[serde(rename_all = "camelCase")]
                #[k8s(exactly_one_of(image, image_ref))]
                pub struct Spec {
                    /// Schedule.
                    #[k8s(min_length = 1, max_length = 64, print_column(type = "string"))]
                    pub schedule: String,
                    /// Replicas.
                    #[k8s(minimum = 0, maximum = 10, default = 1)]
                    pub replicas: Option<i32>,
                    /// Policy.
                    #[k8s(enum = ["Allow", "Forbid"])]
                    pub policy: Option<String>,
                    /// Image.
                    pub image: Option<String>,
                    /// Image reference.
                    pub image_ref: Option<String>,
                    /// Arguments.
                    #[k8s(max_items = 8, list_type = "set")]
                    pub args: Option<Vec<String>>,
                    /// Ports.
                    #[k8s(list_type = "map", list_map_keys = ["name"])]
                    pub ports: Option<Vec<Port>>,
                    /// Class, fixed once set.
                    #[k8s(immutable)]
                    pub class: Option<String>,
                }

                /// A named port.
                #[kubesmith::markers]
                #[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
                pub struct Port {
                    /// Port name.
                    pub name: String,
                    /// Port number.
                    #[k8s(minimum = 1, maximum = 65535)]
                    pub port: i32,
                }

                /// Observed state.
                #[kubesmith::markers]
                #[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
                pub struct Status {
                    /// Ready replicas.
                    #[k8s(print_column(type = "integer"))]
                    pub ready: Option<i32>,
                }
            }
        )*

        fn manifests(root: &Path) -> Manifests {
            let mut manifests = Manifests::new(root);
            $(
                manifests = manifests.crd::<$module::$root>().rules([
                    Rule::new(&["bench.kubesmith.dev"], &[$plural], &["get", "list", "watch", "create", "update", "patch", "delete"]),
                    Rule::new(&["bench.kubesmith.dev"], &[concat!($plural, "/status")], &["get", "update", "patch"]),
                    Rule::new(&["bench.kubesmith.dev"], &[concat!($plural, "/finalizers")], &["update"]),
                ]);
            )*
            manifests
        }
    };
}

kinds! {
    alpha => Alpha, "Alpha", "alphas";
    bravo => Bravo, "Bravo", "bravos";
    charlie => Charlie, "Charlie", "charlies";
    delta => Delta, "Delta", "deltas";
    echo => Echo, "Echo", "echoes";
    foxtrot => Foxtrot, "Foxtrot", "foxtrots";
    golf => Golf, "Golf", "golfs";
    hotel => Hotel, "Hotel", "hotels";
    india => India, "India", "indias";
    juliett => Juliett, "Juliett", "julietts";
}

const RUNS: usize = 30;

fn median(command: &mut dyn FnMut() -> bool) -> Option<Duration> {
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        if !command() {
            return None;
        }
        times.push(start.elapsed());
    }
    times.sort();
    Some(times[RUNS / 2])
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|arg| arg == "--generate") {
        let Some(dir) = args.get(position + 1) else {
            eprintln!("--generate needs a directory");
            return ExitCode::FAILURE;
        };
        return manifests(Path::new(dir)).run(args[position + 2..].iter().cloned());
    }
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("cannot find this benchmark's executable");
        return ExitCode::FAILURE;
    };
    let Ok(out) = tempfile::tempdir() else {
        eprintln!("cannot create a temporary directory");
        return ExitCode::FAILURE;
    };
    let run = |command: &mut Command| command.status().is_ok_and(|status| status.success());
    let ours = median(&mut || run(Command::new(&exe).arg("--generate").arg(out.path())));
    let Some(ours) = ours else {
        eprintln!("generation failed");
        return ExitCode::FAILURE;
    };
    let files = std::fs::read_dir(out.path().join("config/crd/bases")).map_or(0, |dir| dir.count());
    println!(
        "kubesmith manifests, 10 Kinds ({files} CRD files + role.yaml), process median of {RUNS}: {ours:?}"
    );
    let peer = std::env::var_os("CONTROLLER_GEN").zip(std::env::var_os("CONTROLLER_GEN_PROJECT"));
    match peer {
        Some((controller_gen, project)) => {
            let theirs = median(&mut || {
                run(Command::new(&controller_gen).current_dir(&project).args([
                    "rbac:roleName=manager-role",
                    "crd",
                    "paths=./...",
                    "output:crd:artifacts:config=config/crd/bases",
                ]))
            });
            match theirs {
                Some(theirs) => println!(
                    "controller-gen, same API, process median of {RUNS}: {theirs:?}; kubesmith/controller-gen = {:.3}",
                    ours.as_secs_f64() / theirs.as_secs_f64()
                ),
                None => {
                    eprintln!("controller-gen failed in {}", Path::new(&project).display());
                    return ExitCode::FAILURE;
                }
            }
        }
        None => println!("peer not measured: set CONTROLLER_GEN and CONTROLLER_GEN_PROJECT"),
    }
    ExitCode::SUCCESS
}
