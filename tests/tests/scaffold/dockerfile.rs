//! The Dockerfile's build stage, run outside a container (this machine has no container
//! engine): its two `RUN` commands, in a copy of the build context laid out as the stage
//! lays it out, produce a statically linked manager that starts; the second build reuses
//! the dependencies the first (caching) layer built.

use std::path::Path;
use std::process::Command;

use kubesmith_e2e::scaffolded::{cargo, check_success, target_dir};

use super::single_group;

/// The commands of the builder stage's `RUN` instructions, continuation lines joined.
fn run_commands(dockerfile: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current: Option<String> = None;
    for line in dockerfile.lines() {
        if line.starts_with("FROM ") && !commands.is_empty() {
            break;
        }
        let trimmed = line.trim();
        if let Some(command) = current.as_mut() {
            command.push(' ');
            command.push_str(trimmed.trim_end_matches('\\').trim());
        } else if let Some(command) = trimmed.strip_prefix("RUN ") {
            current = Some(command.trim_end_matches('\\').trim().to_string());
        }
        if !trimmed.ends_with('\\')
            && let Some(done) = current.take()
        {
            commands.push(done);
        }
    }
    commands
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("a directory") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("a copy");
        }
    }
}

/// Runs `command` with `sh -c` in `dir` (the stage's WORKDIR), as the `RUN` would.
fn run(dir: &Path, command: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("CARGO", cargo())
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("sh runs")
}

#[test]
fn the_build_stage_makes_a_static_binary_that_starts() {
    let project = single_group();
    let dockerfile = std::fs::read_to_string(project.file("Dockerfile")).expect("Dockerfile");
    assert!(dockerfile.contains("FROM gcr.io/distroless/static:nonroot"));
    assert!(dockerfile.contains("USER 65532:65532"));
    let commands = run_commands(&dockerfile);
    assert_eq!(
        commands.len(),
        2,
        "expected the caching and the build RUN: {commands:?}"
    );

    // The build context of the stage, with `target/` kept between runs of this test.
    let workspace = tempfile::tempdir().expect("a directory");
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(project.file(file), workspace.path().join(file)).expect("a copy");
    }
    let cached_target = target_dir().join("docker-build");
    std::fs::create_dir_all(&cached_target).expect("a directory");
    std::os::unix::fs::symlink(&cached_target, workspace.path().join("target")).expect("a link");

    let layer = run(workspace.path(), &commands[0]);
    check_success("the dependency layer", &layer).unwrap_or_else(|e| panic!("{e:#}"));
    copy_dir(&project.file("src"), &workspace.path().join("src"));
    let manager = workspace.path().join("manager");
    let build = commands[1].replace(" /manager", &format!(" {}", manager.display()));
    let built = run(workspace.path(), &build);
    check_success("the build", &built).unwrap_or_else(|e| panic!("{e:#}"));
    let compiled: Vec<String> = String::from_utf8_lossy(&built.stderr)
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling"))
        .map(str::to_string)
        .collect();
    assert!(
        compiled
            .iter()
            .all(|line| line.contains("Compiling project ")),
        "the build recompiled dependencies the caching layer built: {compiled:?}"
    );

    let file = Command::new("file")
        .arg(&manager)
        .output()
        .expect("file runs");
    let described = String::from_utf8_lossy(&file.stdout);
    assert!(
        described.contains("statically linked") || described.contains("static-pie linked"),
        "{described}"
    );
    let ldd = Command::new("ldd")
        .arg(&manager)
        .output()
        .expect("ldd runs");
    let linked = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        linked.contains("not a dynamic executable") || linked.contains("statically linked"),
        "{linked}"
    );
    let help = Command::new(&manager)
        .arg("--help")
        .output()
        .expect("the manager runs");
    check_success("manager --help", &help).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--metrics-bind-address"));
}
