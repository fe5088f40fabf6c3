//! The scaffolded project's own `make docker-build` and `make docker-buildx`, run with podman
//! (`CONTAINER_TOOL=podman`, this machine's podman flags in `CONTAINER_BUILD_ARGS`) on the
//! local base images: with kubesmith from a path (the checkout mounted as the build context
//! `kubesmith`) and from a registry (kubesmith's packaged crates and the other dependencies
//! vendored, through the project's own `.cargo/config.toml`). The images hold one static
//! manager, run as 65532, start on a read-only root without capabilities, and docker-buildx
//! cross-compiles them for linux/amd64 and linux/arm64. The build from a path uses the
//! project's own release profile and checks the image's size; the others check what the image
//! is and build with [`QUICK_IMAGE_CARGO_ARGS`]. A change in the kubesmith checkout changes the
//! build argument that makes podman rebuild.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use kubesmith_e2e::images::{self, distroless, rust};
use kubesmith_e2e::podman::Podman;
use kubesmith_e2e::prerequisite::require_ok;
use kubesmith_e2e::scaffolded::{QUICK_IMAGE_CARGO_ARGS, Scaffold, check_success};

use kubesmith_e2e::scaffolded::kept_dir;

use super::single_group;

/// Whether the images can be built here (podman, root, debootstrap; a missing one fails under
/// `CI=true`); the base images made when they are missing.
fn base_images(test: &str) -> bool {
    if require_ok(test, images::prerequisites()).is_none() {
        return false;
    }
    rust::ensure().unwrap_or_else(|error| panic!("{error:#}"));
    distroless::ensure().unwrap_or_else(|error| panic!("{error:#}"));
    true
}

/// Held while a test builds an image: the builds share the builder's cargo caches and would
/// only wait for each other's CPU.
static BUILD: Mutex<()> = Mutex::new(());

/// Runs `make <target> IMG=<image> <vars>` in `project` with podman as the container tool.
fn make_image(project: &Scaffold, target: &str, image: &str, vars: &[&str]) {
    let _serial = BUILD.lock().unwrap_or_else(PoisonError::into_inner);
    let flags = podman().build_flags().join(" ");
    let mut args = vec![
        target.to_string(),
        format!("IMG={image}"),
        "CONTAINER_TOOL=podman".to_string(),
        format!("CONTAINER_BUILD_ARGS={flags}"),
    ];
    args.extend(vars.iter().map(|var| (*var).to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = project.make(&args, &[]).expect("make runs");
    check_success(&format!("make {target}"), &output).unwrap_or_else(|error| panic!("{error:#}"));
}

/// The manager of the image `reference`, copied out into `dir` as `name`.
fn manager_of(reference: &str, dir: &Path, name: &str) -> PathBuf {
    let container = podman()
        .output(&["create", reference])
        .expect("a container of the image");
    let container = container.trim();
    let manager = dir.join(name);
    let copied = podman().output(&[
        "cp",
        &format!("{container}:/manager"),
        &manager.display().to_string(),
    ]);
    podman()
        .output(&["rm", container])
        .expect("removing the container");
    copied.expect("copying /manager out of the image");
    manager
}

/// What `file` says about `path`.
fn file_type(path: &Path) -> String {
    let output = std::process::Command::new("file")
        .arg(path)
        .output()
        .expect("file runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The image runs the manager as 65532, holds nothing but the base and one static manager,
/// and the manager starts on a read-only root without capabilities.
fn check_image(image: &str) {
    let config = podman()
        .output(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.User}} {{json .Config.Entrypoint}} {{.Size}}",
            image,
        ])
        .expect("the image's configuration");
    let mut fields = config.split_whitespace();
    assert_eq!(fields.next(), Some("65532:65532"), "{config}");
    assert_eq!(fields.next(), Some(r#"["/manager"]"#), "{config}");
    let size: u64 = fields
        .next()
        .and_then(|size| size.parse().ok())
        .expect("the image's size");
    eprintln!("{image}: {:.1} MB", size as f64 / 1e6);
    assert!(size < 40_000_000, "{image} is {size} bytes");

    let dir = tempfile::tempdir().expect("a directory");
    let manager = manager_of(image, dir.path(), "manager");
    let described = file_type(&manager);
    assert!(described.contains("static"), "{described}");

    let flags = podman().run_flags();
    let mut run = vec![
        "run",
        "--rm",
        "--read-only",
        "--read-only-tmpfs=false",
        "--cap-drop=ALL",
    ];
    run.extend(["--security-opt", "no-new-privileges"]);
    run.extend(flags.iter().map(String::as_str));
    run.extend([image, "--help"]);
    let help = podman()
        .output(&run)
        .unwrap_or_else(|error| panic!("{error:#}"));
    assert!(help.contains("--metrics-bind-address"), "{help}");
}

#[test]
fn make_docker_build_makes_a_static_nonroot_image_with_kubesmith_from_a_path() {
    let test = "make_docker_build_makes_a_static_nonroot_image_with_kubesmith_from_a_path";
    if !base_images(test) {
        return;
    }
    let project = single_group();
    let image = "localhost/project:path";
    make_image(project, "docker-build", image, &[]);
    check_image(image);
}

#[test]
fn make_docker_build_takes_kubesmith_from_a_registry_through_the_projects_cargo_configuration() {
    let test = "make_docker_build_takes_kubesmith_from_a_registry_through_the_projects_cargo_configuration";
    if !base_images(test) {
        return;
    }
    let project = Scaffold::init_published_at(
        &kept_dir("published"),
        &["--domain", "testproject.org", "--project-name", "published"],
    )
    .unwrap_or_else(|error| panic!("{error:#}"));
    project
        .kubesmith(&[
            "create",
            "api",
            "--group",
            "fleet",
            "--version",
            "v1",
            "--kind",
            "Frigate",
            "--make=false",
        ])
        .unwrap_or_else(|error| panic!("{error:#}"));
    let manifest = std::fs::read_to_string(project.file("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest
            .lines()
            .filter(|line| line.starts_with("kubesmith ="))
            .all(|line| !line.contains("path")),
        "{manifest}"
    );
    kubesmith_e2e::vendored::vendor(project.path()).unwrap_or_else(|error| panic!("{error:#}"));
    let lock = std::fs::read_to_string(project.file("Cargo.lock")).expect("Cargo.lock");
    assert!(
        lock.contains(
            "name = \"kubesmith\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = "
        ),
        "kubesmith is not a registry dependency:\n{lock}"
    );

    let image = "localhost/published:registry";
    make_image(&project, "docker-build", image, &[QUICK_IMAGE_CARGO_ARGS]);
    check_image(image);
}

#[test]
fn make_docker_buildx_cross_compiles_static_images_for_amd64_and_arm64() {
    let test = "make_docker_buildx_cross_compiles_static_images_for_amd64_and_arm64";
    if !base_images(test) {
        return;
    }
    let project = single_group();
    let image = "localhost/project:multi";
    make_image(
        project,
        "docker-buildx",
        image,
        &[
            "PLATFORMS=linux/amd64,linux/arm64",
            "PUSH=false",
            QUICK_IMAGE_CARGO_ARGS,
        ],
    );

    // Each platform's image, by the digest the manifest list names (`podman create --platform`
    // does not choose among a local list's images in podman 4).
    let list: serde_json::Value = serde_json::from_str(
        &podman()
            .output(&["manifest", "inspect", image])
            .expect("the manifest list"),
    )
    .expect("JSON");
    let (repository, _tag) = image.rsplit_once(':').expect("a tagged image");
    let mut images: Vec<(String, String)> = list["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|manifest| {
            let platform = &manifest["platform"];
            (
                format!(
                    "{}/{}",
                    platform["os"].as_str().unwrap_or_default(),
                    platform["architecture"].as_str().unwrap_or_default()
                ),
                format!(
                    "{repository}@{}",
                    manifest["digest"].as_str().unwrap_or_default()
                ),
            )
        })
        .collect();
    images.sort();
    let platforms: Vec<&str> = images
        .iter()
        .map(|(platform, _)| platform.as_str())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);

    let dir = tempfile::tempdir().expect("a directory");
    for ((platform, reference), machine) in images.iter().zip(["x86-64", "ARM aarch64"]) {
        let manager = manager_of(reference, dir.path(), &platform.replace('/', "-"));
        let described = file_type(&manager);
        eprintln!("{platform}: {described}");
        assert!(described.contains(machine), "{platform}: {described}");
        assert!(described.contains("static"), "{platform}: {described}");
    }
}

/// This machine's podman (the tests' prerequisites checked it is there).
fn podman() -> Podman {
    Podman::find().unwrap_or_else(|missing| panic!("{missing}"))
}

/// podman reuses a cached build step whose mounted context changed, so the Makefile of a
/// project with kubesmith from a checkout passes a checksum of the checkout's files as a build
/// argument: it changes with an edited or added source file, not with build output or git's
/// history (checked without building an image: `make -n` expands the argument).
#[test]
fn the_image_build_argument_follows_the_kubesmith_checkouts_sources() {
    let project = Scaffold::init(&["--domain", "example.com", "--project-name", "sources"])
        .unwrap_or_else(|error| panic!("{error:#}"));
    let checkout = tempfile::tempdir().expect("a directory");
    let write = |relative: &str, text: &str| {
        let path = checkout.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
        std::fs::write(path, text).expect("a file");
    };
    let sources = || {
        let output = project
            .make(
                &[
                    "-n",
                    "docker-build",
                    &format!("KUBESMITH_PATH={}", checkout.path().display()),
                ],
                &[],
            )
            .expect("make -n runs");
        check_success("make -n docker-build", &output).unwrap_or_else(|error| panic!("{error:#}"));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let (_, rest) = stdout
            .split_once("--build-arg KUBESMITH_SOURCES=")
            .unwrap_or_else(|| panic!("no KUBESMITH_SOURCES in:\n{stdout}"));
        let value: String = rest.chars().take_while(char::is_ascii_digit).collect();
        assert!(
            !value.is_empty(),
            "an empty KUBESMITH_SOURCES in:\n{stdout}"
        );
        value
    };

    write("sdk/src/lib.rs", "pub fn answer() -> u32 { 42 }\n");
    let first = sources();
    write("target/release/libkubesmith.rlib", "build output");
    write(".git/objects/aa/bb", "history");
    assert_eq!(
        sources(),
        first,
        "build output or history changed the checksum"
    );
    write("sdk/src/lib.rs", "pub fn answer() -> u32 { 43 }\n");
    let edited = sources();
    assert_ne!(edited, first, "an edited source kept the checksum");
    write("macros/src/lib.rs", "");
    assert_ne!(sources(), edited, "an added source kept the checksum");
}
