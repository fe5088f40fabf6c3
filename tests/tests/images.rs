//! The local stand-ins of public base images (`kubesmith_e2e::images`) have the contents their
//! documentation promises: the Rust build image the official image's layout and the host's
//! toolchain and CA certificates, the distroless image nothing but its files for both
//! platforms and uid 65532, the curl image curl as uid 100. They need podman, root and
//! debootstrap: missing ones fail under `CI=true`, and skip elsewhere.

use std::path::{Path, PathBuf};

use kubesmith_e2e::images::{self, curl, distroless, rust};
use kubesmith_e2e::podman::Podman;
use kubesmith_e2e::prerequisite::require_ok;

/// Whether the image `ensure` makes is there: made when missing; `false` (the test skips)
/// when the machine cannot make images, which fails the test under `CI=true`.
fn made(test: &str, ensure: fn() -> anyhow::Result<()>) -> bool {
    if require_ok(test, images::prerequisites()).is_none() {
        return false;
    }
    ensure().unwrap_or_else(|error| panic!("{error:#}"));
    true
}

/// `podman run --rm <image> <args>` with this machine's flags; its standard output.
fn run_in(image: &str, args: &[&str]) -> String {
    let flags = podman().run_flags();
    let mut command: Vec<&str> = vec!["run", "--rm"];
    command.extend(flags.iter().map(String::as_str));
    command.push(image);
    command.extend_from_slice(args);
    podman()
        .output(&command)
        .unwrap_or_else(|error| panic!("{error:#}"))
}

#[test]
fn the_rust_image_has_the_official_layout_the_host_toolchain_and_its_ca_certificates() {
    if !made(
        "the_rust_image_has_the_official_layout_the_host_toolchain_and_its_ca_certificates",
        rust::ensure,
    ) {
        return;
    }

    let report = run_in(
        rust::NAME,
        &[
            "sh",
            "-c",
            "echo \"$RUSTUP_HOME $CARGO_HOME $PATH\"; command -v cargo; cargo --version; \
             rustup default; dpkg-query -W -f '${Package} ' build-essential ca-certificates pkg-config git",
        ],
    );
    let lines: Vec<&str> = report.lines().collect();
    assert!(
        lines[0].starts_with("/usr/local/rustup /usr/local/cargo /usr/local/cargo/bin:"),
        "{report}"
    );
    assert_eq!(lines[1], "/usr/local/cargo/bin/cargo", "{report}");
    let version = std::process::Command::new("rustc")
        .args(["+stable", "--version"])
        .output()
        .expect("the host's rustc");
    let host_version = String::from_utf8_lossy(&version.stdout);
    let host_version = host_version.split_whitespace().nth(1).expect("a version");
    assert!(
        lines[2].starts_with(&format!("cargo {host_version}")),
        "{report}"
    );
    assert!(lines[3].starts_with(host_version), "{report}");
    let mut packages: Vec<&str> = lines[4].split_whitespace().collect();
    packages.sort_unstable();
    assert_eq!(
        packages,
        ["build-essential", "ca-certificates", "git", "pkg-config"],
        "{report}"
    );

    let bundle = run_in(rust::NAME, &["cat", "/etc/ssl/certs/ca-certificates.crt"]);
    for certificate in host_extra_ca_certificates() {
        let pem = std::fs::read_to_string(&certificate).expect("a certificate");
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let trusted: String = bundle.lines().collect();
        assert!(
            trusted.contains(&body),
            "{} is not in the image's CA bundle",
            certificate.display()
        );
    }
}

/// The host's extra CA certificates (what the image must trust too).
fn host_extra_ca_certificates() -> Vec<PathBuf> {
    std::fs::read_dir("/usr/local/share/ca-certificates")
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "crt"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_distroless_image_is_a_nonroot_scratch_image_for_amd64_and_arm64() {
    if !made(
        "the_distroless_image_is_a_nonroot_scratch_image_for_amd64_and_arm64",
        distroless::ensure,
    ) {
        return;
    }

    let list: serde_json::Value = serde_json::from_str(
        &podman()
            .output(&["manifest", "inspect", distroless::NAME])
            .expect("the manifest list"),
    )
    .expect("JSON");
    let mut architectures: Vec<&str> = list["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter_map(|manifest| manifest["platform"]["architecture"].as_str())
        .collect();
    architectures.sort_unstable();
    assert_eq!(architectures, ["amd64", "arm64"]);

    for platform in distroless::PLATFORMS {
        let arch = platform.rsplit('/').next().expect("an architecture");
        let image = format!("localhost/kubesmith-distroless-static:nonroot-{arch}");
        let config = podman()
            .output(&[
                "image",
                "inspect",
                "--format",
                "{{.Architecture}} {{.Config.User}} {{.Config.WorkingDir}}",
                &image,
            ])
            .expect("the image's config");
        assert_eq!(config.trim(), format!("{arch} 65532 /home/nonroot"));
        let root = PathBuf::from(
            podman()
                .output(&["image", "mount", &image])
                .expect("the image's files")
                .trim(),
        );
        check_distroless_files(&root);
        podman()
            .output(&["image", "unmount", &image])
            .expect("unmounting");
    }
}

fn check_distroless_files(root: &Path) {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).expect("/etc/passwd");
    assert!(
        passwd.contains("nonroot:x:65532:65532:nonroot:/home/nonroot:"),
        "{passwd}"
    );
    assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
    assert!(passwd.contains("nobody:x:65534:65534:"), "{passwd}");
    let group = std::fs::read_to_string(root.join("etc/group")).expect("/etc/group");
    assert!(group.contains("nonroot:x:65532:"), "{group}");
    assert!(root.join("etc/nsswitch.conf").is_file());
    assert!(root.join("usr/share/zoneinfo/Europe/Berlin").is_file());
    let bundle = std::fs::read_to_string(root.join("etc/ssl/certs/ca-certificates.crt"))
        .expect("the CA bundle");
    assert!(bundle.contains("BEGIN CERTIFICATE"));
    let tmp = std::fs::metadata(root.join("tmp")).expect("/tmp");
    assert_eq!(tmp.permissions().mode() & 0o7777, 0o1777);
    let home = std::fs::metadata(root.join("home/nonroot")).expect("/home/nonroot");
    assert_eq!((home.uid(), home.gid()), (65532, 65532));
    for nothing in ["bin/sh", "usr/bin", "var/lib/dpkg"] {
        assert!(!root.join(nothing).exists(), "/{nothing} is in the image");
    }
}

#[test]
fn the_curl_image_runs_curl_as_uid_100_and_commands_with_a_shell() {
    if !made(
        "the_curl_image_runs_curl_as_uid_100_and_commands_with_a_shell",
        curl::ensure,
    ) {
        return;
    }
    let version = run_in(curl::NAME, &["--version"]);
    assert!(
        version.starts_with(&format!("curl {} ", curl::VERSION)),
        "{version}"
    );
    let id = run_in(curl::NAME, &["sh", "-c", "id -u; command -v curl"]);
    assert_eq!(id, format!("{}\n/usr/bin/curl\n", curl::UID));
}

/// This machine's podman (the tests' prerequisites checked it is there).
fn podman() -> Podman {
    Podman::find().unwrap_or_else(|missing| panic!("{missing}"))
}
