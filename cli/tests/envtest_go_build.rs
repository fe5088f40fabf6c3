//! The Go-toolchain fallback and the node binaries (`envtest use --node`), driven with a fake
//! `go` (a shell script that logs what it is asked and writes fake binaries), so the
//! orchestration is checked in milliseconds: version resolution, the derived go.mod, the build
//! environment and the atomic install.

#![cfg(unix)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use kubesmith_cli::envtest::{AssetManager, Error, Platform, Selector, Source, Store};
use support::{
    Server, envtest_archive, is_executable, kubesmith, publish, run, serve_index, store_contents,
    unreachable_url, version_dir,
};

/// A k8s.io/kubernetes go.mod in the real shape, shortened.
const KUBERNETES_GO_MOD: &str = "module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
\tgo.etcd.io/etcd/client/v3 v3.7.0
\tk8s.io/api v0.0.0
\tk8s.io/apiserver v0.0.0
\tk8s.io/klog/v2 v2.140.0
)

require k8s.io/kms v0.0.0 // indirect

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apiserver => ./staging/src/k8s.io/apiserver
\tk8s.io/kms => ./staging/src/k8s.io/kms
)
";

/// Writes a fake `go` into `dir` that logs to `dir/go.log`. `build_fails` makes every
/// `go build` fail with a compile error.
fn fake_go(dir: &Path, build_fails: bool) -> PathBuf {
    let log = dir.join("go.log");
    let go_mod = dir.join("kubernetes.mod");
    fs::write(&go_mod, KUBERNETES_GO_MOD).expect("write go.mod");
    let build = if build_fails {
        "echo 'cmd/kube-apiserver/apiserver.go:9:2: undefined: app' >&2; exit 1".to_owned()
    } else {
        format!(
            "echo \"env CGO_ENABLED=$CGO_ENABLED GOOS=$GOOS GOARCH=$GOARCH GOFLAGS=$GOFLAGS GOWORK=$GOWORK\" >> '{log}'
    for pkg in \"$@\"; do :; done
    echo \"--- go.mod for $pkg\" >> '{log}'; cat go.mod >> '{log}'
    if [ -f main.go ]; then cat main.go >> '{log}'; fi
    out=''; prev=''; for arg in \"$@\"; do [ \"$prev\" = -o ] && out=$arg; prev=$arg; done
    printf '#!/bin/sh\\necho built\\n' > \"$out\"
    echo \"go: building $arg\" >&2",
            log = log.display()
        )
    };
    let script = format!(
        "#!/bin/sh
echo \"go $*\" >> '{log}'
case \"$1\" in
  version) echo 'go version go1.99.0 linux/amd64' ;;
  list) echo 'k8s.io/kubernetes v1.36.0 v1.37.0 v1.37.2 v1.38.0-rc.0' ;;
  mod) printf '{{\"Path\":\"k8s.io/kubernetes\",\"Version\":\"%s\",\"GoMod\":\"%s\"}}\\n' \"${{4#*@}}\" '{go_mod}' ;;
  build)
    {build} ;;
  *) echo \"fake go: unexpected $*\" >&2; exit 2 ;;
esac
",
        log = log.display(),
        go_mod = go_mod.display(),
    );
    let path = dir.join("go");
    fs::write(&path, script).expect("write fake go");
    let mut permissions = fs::metadata(&path).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&path, permissions).expect("chmod");
    path
}

fn linux_amd64() -> Platform {
    Platform::new("linux", "amd64").expect("valid platform")
}

/// Asserts that `names` are executable in the store's 1.37.2 directory and that nothing else
/// (no staging directory) is left in the store.
fn assert_installed(root: &Path, names: &[&str], progress: &str) {
    let dir = version_dir(root, "1.37.2");
    for name in names {
        assert!(
            is_executable(&dir.join(name)),
            "{name} missing; progress:\n{progress}"
        );
    }
    assert_eq!(
        store_contents(root),
        ["1.37.2-linux-amd64"],
        "no staging left"
    );
}

/// Asserts that `text` contains every one of `expected`.
fn assert_mentions(text: &str, expected: &[&str]) {
    for expected in expected {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

fn read_log(dir: &Path) -> String {
    fs::read_to_string(dir.join("go.log")).unwrap_or_default()
}

#[test]
fn unreachable_download_falls_back_to_a_go_build_with_derived_replaces() {
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), false);
    let root = tempfile::tempdir().expect("tempdir");
    let manager = AssetManager::new(Store::new(root.path()))
        .platform(linux_amd64())
        .index_url(unreachable_url())
        .go(Some(go));

    let mut progress = Vec::new();
    let assets = manager
        .use_version(
            &"1.37".parse::<Selector>().expect("selector"),
            &mut progress,
        )
        .expect("built");
    let progress = String::from_utf8_lossy(&progress);

    assert_eq!(
        assets.version.to_string(),
        "1.37.2",
        "newest stable 1.37 on the proxy"
    );
    assert_eq!(assets.source, Source::Built);
    let dir = version_dir(root.path(), "1.37.2");
    assert_eq!(assets.path, dir);
    assert_installed(
        root.path(),
        &["etcd", "kube-apiserver", "kubectl"],
        &progress,
    );

    let log = read_log(tools.path());
    assert_mentions(
        &log,
        &[
            "go list -m -versions k8s.io/kubernetes",
            "go mod download -json k8s.io/kubernetes@v1.37.2",
            "go build -trimpath -ldflags -X k8s.io/component-base/version.gitVersion=v1.37.2",
            "go build -trimpath -o ",
            "--- go.mod for k8s.io/kubernetes/cmd/kube-apiserver",
            "--- go.mod for k8s.io/kubernetes/cmd/kubectl",
            "require k8s.io/kubernetes v1.37.2",
            "\tk8s.io/api => k8s.io/api v0.37.2",
            "\tk8s.io/apiserver => k8s.io/apiserver v0.37.2",
            "\tk8s.io/kms => k8s.io/kms v0.37.2",
            "godebug default=go1.26",
            "require go.etcd.io/etcd/server/v3 v3.7.0",
            "etcdmain.Main(os.Args)",
            "env CGO_ENABLED=0 GOOS=linux GOARCH=amd64",
            "-mod=mod",
            "GOWORK=off",
        ],
    );
    assert!(
        !log.contains("k8s.io/klog/v2 =>"),
        "only v0.0.0 staging modules are replaced:\n{log}"
    );
    assert_mentions(
        &progress,
        &[
            "download failed",
            "[1/4]",
            "[4/4] building etcd v3.7.0",
            "    go: building",
            "built Kubernetes 1.37.2",
        ],
    );

    // Once built, the version is used from the store: go is not run again.
    let log_before = read_log(tools.path());
    let again = manager
        .use_version(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect("installed");
    assert_eq!(again.source, Source::Installed);
    assert_eq!(read_log(tools.path()), log_before);
}

#[test]
fn an_exact_version_is_built_without_asking_the_proxy_for_versions() {
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), false);
    let root = tempfile::tempdir().expect("tempdir");
    AssetManager::new(Store::new(root.path()))
        .platform(linux_amd64())
        .index_url(unreachable_url())
        .go(Some(go))
        .use_version(
            &"1.37.0".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect("built");
    let log = read_log(tools.path());
    assert!(!log.contains("go list"), "{log}");
    assert!(log.contains("k8s.io/api => k8s.io/api v0.37.0"), "{log}");
    assert_eq!(store_contents(root.path()), ["1.37.0-linux-amd64"]);
}

#[test]
fn failed_go_build_names_both_failures_and_leaves_nothing() {
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), true);
    let root = tempfile::tempdir().expect("tempdir");
    let error = AssetManager::new(Store::new(root.path()))
        .platform(linux_amd64())
        .index_url(unreachable_url())
        .go(Some(go))
        .use_version(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect_err("build fails");
    let message = error.to_string();
    assert!(matches!(error, Error::Unavailable { .. }), "{message}");
    assert!(
        message.contains("download: could not fetch http://127.0.0.1:1/"),
        "{message}"
    );
    assert!(message.contains("build -trimpath"), "{message}");
    assert!(message.contains("undefined: app"), "{message}");
    assert!(message.contains("TEST_ASSET_KUBE_APISERVER"), "{message}");
    assert_eq!(store_contents(root.path()), Vec::<String>::new());
}

#[test]
fn hash_mismatch_is_not_papered_over_by_a_go_build() {
    let server = Server::start();
    let mut release = publish(&server, "1.37.2", &envtest_archive());
    release.sha512 = "0".repeat(128);
    let index = serve_index(&server, &[release]);
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), false);
    let root = tempfile::tempdir().expect("tempdir");

    let error = AssetManager::new(Store::new(root.path()))
        .platform(linux_amd64())
        .index_url(index)
        .go(Some(go))
        .use_version(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect_err("mismatch");
    assert!(matches!(error, Error::HashMismatch { .. }), "{error}");
    assert_eq!(server.requests().len(), 2, "index and archive were fetched");
    assert_eq!(read_log(tools.path()), "", "go must not run");
    assert_eq!(store_contents(root.path()), Vec::<String>::new());
}

#[test]
fn without_go_on_path_the_error_says_what_failed_and_how_to_supply_binaries() {
    let empty_path = tempfile::tempdir().expect("tempdir");
    let root = tempfile::tempdir().expect("tempdir");
    let (ok, stdout, stderr) = run(kubesmith()
        .env_remove("KUBESMITH_ENVTEST_NO_GO_BUILD")
        .env("PATH", empty_path.path())
        .args([
            "envtest", "use", "1.37.2", "-p", "path", "--os", "linux", "--arch", "amd64",
        ])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &unreachable_url()]));
    assert!(!ok);
    assert_eq!(stdout, "");
    for expected in [
        "no envtest binaries for Kubernetes 1.37.2 (linux/amd64) could be obtained",
        "download: could not fetch http://127.0.0.1:1/envtest-releases.yaml",
        "`go` is not on PATH",
        "KUBEBUILDER_ASSETS",
        "TEST_ASSET_KUBE_APISERVER, TEST_ASSET_ETCD and TEST_ASSET_KUBECTL",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert_eq!(store_contents(root.path()), Vec::<String>::new());
}

#[test]
fn no_go_build_env_keeps_go_from_running() {
    let tools = tempfile::tempdir().expect("tempdir");
    fake_go(tools.path(), false);
    let root = tempfile::tempdir().expect("tempdir");
    let (ok, stdout, stderr) = run(kubesmith()
        .env("PATH", tools.path())
        .args([
            "envtest", "use", "1.37.2", "--os", "linux", "--arch", "amd64",
        ])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &unreachable_url()]));
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("building from the Go module proxy is disabled"),
        "{stderr}"
    );
    assert_eq!(read_log(tools.path()), "", "go must not run");
    assert_eq!(store_contents(root.path()), Vec::<String>::new());
}

/// The node binaries `use --node` adds to a version directory.
const NODE_BINARIES: [&str; 4] = [
    "kubelet",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
];

/// A store holding the control plane of 1.37.2 (fake binaries), as a download leaves it.
fn store_with_control_plane() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = version_dir(root.path(), "1.37.2");
    fs::create_dir_all(&dir).expect("create version dir");
    for name in ["etcd", "kube-apiserver", "kubectl"] {
        let path = dir.join(name);
        fs::write(&path, "#!/bin/sh\n").expect("write binary");
        let mut permissions = fs::metadata(&path).expect("stat").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        fs::set_permissions(&path, permissions).expect("chmod");
    }
    root
}

fn node_manager(root: &Path, go: Option<PathBuf>) -> AssetManager {
    AssetManager::new(Store::new(root))
        .platform(linux_amd64())
        .index_url(unreachable_url())
        .go(go)
}

#[test]
fn node_binaries_are_built_into_the_installed_version_directory_once() {
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), false);
    let root = store_with_control_plane();
    let manager = node_manager(root.path(), Some(go));

    let mut progress = Vec::new();
    let assets = manager
        .use_with_node(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut progress,
        )
        .expect("built");
    let progress = String::from_utf8_lossy(&progress);

    let dir = version_dir(root.path(), "1.37.2");
    assert_eq!(assets.path, dir, "one directory for everything");
    assert_eq!(
        assets.source,
        Source::Installed,
        "the control plane was there"
    );
    assert_eq!(assets.node, Some(Source::Built));
    assert_installed(root.path(), &NODE_BINARIES, &progress);
    assert_installed(
        root.path(),
        &["etcd", "kube-apiserver", "kubectl"],
        &progress,
    );

    let log = read_log(tools.path());
    assert_mentions(
        &log,
        &[
            "go mod download -json k8s.io/kubernetes@v1.37.2",
            "--- go.mod for k8s.io/kubernetes/cmd/kubelet",
            "--- go.mod for k8s.io/kubernetes/cmd/kube-controller-manager",
            "--- go.mod for k8s.io/kubernetes/cmd/kube-scheduler",
            "--- go.mod for k8s.io/kubernetes/cmd/kube-proxy",
            "go build -trimpath -ldflags -X k8s.io/component-base/version.gitVersion=v1.37.2",
            "\tk8s.io/api => k8s.io/api v0.37.2",
            "env CGO_ENABLED=0 GOOS=linux GOARCH=amd64",
            "GOWORK=off",
        ],
    );
    for unexpected in ["go list", "cmd/kube-apiserver", "etcdmain"] {
        assert!(
            !log.contains(unexpected),
            "{unexpected:?} in go log:\n{log}"
        );
    }
    assert_mentions(
        &progress,
        &[
            "building the node binaries of Kubernetes 1.37.2",
            "[1/5] reading the go.mod",
            "[2/5] building kubelet",
            "[5/5] building kube-proxy",
            "built the node binaries of Kubernetes 1.37.2",
        ],
    );

    let log_before = read_log(tools.path());
    let again = manager
        .use_with_node(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect("installed");
    assert_eq!(again.node, Some(Source::Installed));
    assert_eq!(read_log(tools.path()), log_before, "go must not run again");
}

#[test]
fn a_fresh_store_gets_the_control_plane_then_the_node_binaries_in_one_directory() {
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), false);
    let root = tempfile::tempdir().expect("tempdir");
    let assets = node_manager(root.path(), Some(go))
        .use_with_node(
            &"1.37".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect("built");
    assert_eq!(assets.version.to_string(), "1.37.2");
    assert_eq!(
        (assets.source, assets.node),
        (Source::Built, Some(Source::Built))
    );
    let names: Vec<String> = {
        let mut names: Vec<String> = fs::read_dir(&assets.path)
            .expect("list")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names,
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-proxy",
            "kube-scheduler",
            "kubectl",
            "kubelet"
        ]
    );
}

#[test]
fn a_read_only_version_directory_of_setup_envtest_gets_node_binaries_and_stays_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), false);
    let root = store_with_control_plane();
    let dir = version_dir(root.path(), "1.37.2");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).expect("chmod");

    node_manager(root.path(), Some(go))
        .use_with_node(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect("built");
    assert!(is_executable(&dir.join("kubelet")));
    let mode = fs::metadata(&dir).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o555, "the directory's mode is restored");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn a_failed_node_build_keeps_the_control_plane_and_adds_nothing() {
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), true);
    let root = store_with_control_plane();
    let error = node_manager(root.path(), Some(go))
        .use_with_node(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect_err("build fails");
    let message = error.to_string();
    assert!(matches!(error, Error::NodeUnavailable { .. }), "{message}");
    assert!(
        message.contains("release archives carry no kubelet"),
        "{message}"
    );
    assert!(message.contains("undefined: app"), "{message}");
    let dir = version_dir(root.path(), "1.37.2");
    assert!(is_executable(&dir.join("kube-apiserver")));
    assert!(!dir.join("kubelet").exists());
    assert_eq!(
        store_contents(root.path()),
        ["1.37.2-linux-amd64"],
        "no staging left"
    );
}

#[test]
fn without_go_the_node_error_says_release_archives_have_no_node_binaries() {
    let empty_path = tempfile::tempdir().expect("tempdir");
    let root = store_with_control_plane();
    let (ok, stdout, stderr) = run(kubesmith()
        .env_remove("KUBESMITH_ENVTEST_NO_GO_BUILD")
        .env("PATH", empty_path.path())
        .args([
            "envtest", "use", "1.37.2", "--node", "-p", "path", "--os", "linux", "--arch", "amd64",
        ])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &unreachable_url()]));
    assert!(!ok);
    assert_eq!(stdout, "");
    for expected in [
        "the node binaries of Kubernetes 1.37.2 (linux/amd64) could not be obtained",
        "release archives carry no kubelet, kube-controller-manager, kube-scheduler or kube-proxy",
        "`go` is not on PATH",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn node_binaries_with_building_disabled_or_installed_only_are_refused_clearly() {
    let root = store_with_control_plane();
    let base = [
        "envtest", "use", "1.37.2", "--node", "--os", "linux", "--arch", "amd64",
    ];
    let (ok, _, stderr) = run(kubesmith()
        .args(base)
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &unreachable_url()]));
    assert!(!ok);
    assert!(
        stderr.contains("building from the Go module proxy is disabled"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(kubesmith()
        .args(base)
        .arg("--installed-only")
        .arg("--bin-dir")
        .arg(root.path()));
    assert!(!ok);
    assert!(
        stderr.contains("are not installed in") && stderr.contains("run without --installed-only"),
        "{stderr}"
    );
}

#[test]
fn node_binaries_are_refused_for_other_operating_systems() {
    let root = tempfile::tempdir().expect("tempdir");
    let (ok, stdout, stderr) = run(kubesmith()
        .args([
            "envtest",
            "use",
            "1.37.2",
            "--node",
            "--os",
            "darwin",
            "--arch",
            "arm64",
            "--installed-only",
        ])
        .arg("--bin-dir")
        .arg(root.path()));
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("built for linux only, not for darwin/arm64"),
        "{stderr}"
    );
    assert_eq!(store_contents(root.path()), Vec::<String>::new());
}

#[test]
fn installed_node_binaries_are_reported_by_use_and_list() {
    let tools = tempfile::tempdir().expect("tempdir");
    let go = fake_go(tools.path(), false);
    let root = store_with_control_plane();
    node_manager(root.path(), Some(go))
        .use_with_node(
            &"1.37.2".parse::<Selector>().expect("selector"),
            &mut Vec::new(),
        )
        .expect("built");
    let target = |command: &mut std::process::Command| {
        command
            .args([
                "--os",
                "linux",
                "--arch",
                "amd64",
                "--installed-only",
                "--bin-dir",
            ])
            .arg(root.path());
    };

    let mut path = kubesmith();
    path.args(["envtest", "use", "1.37.2", "--node", "-p", "path"]);
    target(&mut path);
    let (ok, stdout, stderr) = run(&mut path);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim_end(),
        version_dir(root.path(), "1.37.2").display().to_string(),
        "one directory: KUBEBUILDER_ASSETS and the node binaries"
    );

    let mut overview = kubesmith();
    overview.args(["envtest", "use", "1.37.2", "--node"]);
    target(&mut overview);
    let (ok, stdout, stderr) = run(&mut overview);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(
            "Node:       kubelet, kube-controller-manager, kube-scheduler, kube-proxy in the same \
             directory, already installed"
        ),
        "{stdout}"
    );

    let mut list = kubesmith();
    list.args(["envtest", "list"]);
    target(&mut list);
    let (ok, stdout, stderr) = run(&mut list);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("installed, with node binaries"), "{stdout}");
}
