//! A project resolved the way a new user's is — no `Cargo.lock` from this workspace, the
//! newest semver-compatible dependencies — compiles with warnings denied, so a deprecation
//! that a newer dependency brings into kubesmith's code or the generated code fails here
//! before it reaches users' builds.
//!
//! `RUSTFLAGS=-D warnings` reaches kubesmith (a path dependency) and the project; registry
//! crates cap their lints. Its versions differ from this workspace's, so it builds into a
//! target directory of its own (`scaffolds-fresh` in the machine cache, beside the shared
//! `scaffolds`), kept between runs and checkouts.

use std::time::Instant;

use kubesmith_e2e::scaffolded::{cargo, check_quiet, target_dir};

use super::golden_as;

#[test]
fn a_project_with_the_newest_compatible_dependencies_compiles_without_warnings() {
    let project = golden_as("project", "fresh-dependencies");
    std::fs::remove_file(project.file("Cargo.lock")).expect("the copied Cargo.lock");
    let target = target_dir().with_file_name("scaffolds-fresh");
    let run = |args: &[&str]| {
        let started = Instant::now();
        let output = project
            .command(cargo())
            .args(args)
            .env("CARGO_TARGET_DIR", &target)
            .env("RUSTFLAGS", "-D warnings")
            .output()
            .expect("running cargo");
        check_quiet(&format!("cargo {}", args.join(" ")), &output)
            .unwrap_or_else(|error| panic!("{error:#}"));
        eprintln!("cargo {}: {:.1?}", args.join(" "), started.elapsed());
    };
    run(&["generate-lockfile"]);
    run(&["check", "--all-targets", "--all-features"]);
}
