//! Downloading, verifying and installing envtest release archives, against a local HTTP server
//! that serves an index and archives built by the test (the binaries are fake scripts: this is
//! about getting the right bytes to the right place, not about running them).

#![cfg(unix)]

mod support;

use std::fs;
use std::time::{Duration, Instant};

use kubesmith_cli::envtest::{AssetManager, Error, Platform, Selector, Source, Store};
use support::{
    IndexEntry, Server, envtest_archive, fake_binary, is_executable, kubesmith, publish, run,
    serve_index, store_contents, tar_gz, unreachable_url, version_dir,
};

fn linux_amd64() -> Platform {
    Platform::new("linux", "amd64").expect("valid platform")
}

/// A manager on a fresh store for linux/amd64, reading `index`, with the Go fallback off.
fn manager(root: &std::path::Path, index: &str) -> AssetManager {
    AssetManager::new(Store::new(root))
        .platform(linux_amd64())
        .index_url(index)
        .go(None)
}

fn selector(text: &str) -> Selector {
    text.parse().expect("valid selector")
}

/// A local server publishing good archives of some versions, its index URL, and an empty store.
pub struct Fixture {
    /// The server, to inspect requests or publish more.
    pub server: Server,
    /// The index URL listing every published version.
    pub index: String,
    /// The store root (`--bin-dir`).
    pub root: tempfile::TempDir,
}

impl Fixture {
    /// Publishes a good archive for each of `versions` and serves an index listing them all.
    pub fn publishing(versions: &[&'static str]) -> Self {
        let server = Server::start();
        let releases: Vec<IndexEntry> = versions
            .iter()
            .map(|version| publish(&server, version, &envtest_archive()))
            .collect();
        let index = serve_index(&server, &releases);
        let root = tempfile::tempdir().expect("tempdir");
        Fixture {
            server,
            index,
            root,
        }
    }
}

#[test]
fn good_archive_is_installed_and_then_reused_without_any_request() {
    let server = Server::start();
    let release = publish(&server, "1.37.2", &envtest_archive());
    let archive_url = release.url.clone();
    let index = serve_index(&server, &[release]);
    let root = tempfile::tempdir().expect("tempdir");
    let manager = manager(root.path(), &index);

    let mut progress = Vec::new();
    let assets = manager
        .use_version(&selector("1.37.2"), &mut progress)
        .expect("download and install");
    let dir = version_dir(root.path(), "1.37.2");
    assert_eq!(assets.path, dir);
    assert_eq!(assets.source, Source::Downloaded(archive_url));
    for name in ["etcd", "kube-apiserver", "kubectl"] {
        let binary = dir.join(name);
        assert!(
            is_executable(&binary),
            "{} is not an executable file",
            binary.display()
        );
        assert_eq!(fs::read(&binary).expect("read binary"), fake_binary(name));
    }
    assert_eq!(
        store_contents(root.path()),
        ["1.37.2-linux-amd64"],
        "no staging left"
    );
    assert_eq!(
        server.requests(),
        [
            "/envtest-releases.yaml",
            "/releases/envtest-v1.37.2-linux-amd64.tar.gz"
        ]
    );

    let again = manager
        .use_version(&selector("1.37.2"), &mut Vec::new())
        .expect("reuse");
    assert_eq!(again.source, Source::Installed);
    assert_eq!(again.path, dir);
    let by_minor = manager
        .use_version(&selector("1.37.x"), &mut Vec::new())
        .expect("reuse by minor");
    assert_eq!(by_minor.source, Source::Installed);
    assert_eq!(
        server.requests().len(),
        2,
        "the store was reused without HTTP requests"
    );

    // The binary, pointed at the same store, answers from it too: only the path on stdout.
    let started = Instant::now();
    let (ok, stdout, stderr) = run(kubesmith()
        .args([
            "envtest", "use", "1.37.2", "-p", "path", "--os", "linux", "--arch", "amd64",
        ])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &index]));
    let elapsed = started.elapsed();
    assert!(ok, "stderr: {stderr}");
    assert_eq!(stdout, format!("{}\n", dir.display()));
    assert_eq!(
        server.requests().len(),
        2,
        "the binary made no HTTP request"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn minor_selector_installs_the_newest_patch_the_index_offers() {
    let Fixture {
        server: _server,
        index,
        root,
    } = Fixture::publishing(&["1.36.1", "1.37.0", "1.37.3"]);

    let assets = manager(root.path(), &index)
        .use_version(&selector("1.37"), &mut Vec::new())
        .expect("install");
    assert_eq!(assets.version.to_string(), "1.37.3");
    assert_eq!(store_contents(root.path()), ["1.37.3-linux-amd64"]);
}

#[test]
fn latest_asks_the_index_even_when_an_older_version_is_installed() {
    let server = Server::start();
    let old = publish(&server, "1.36.1", &envtest_archive());
    let index = serve_index(&server, &[old]);
    let root = tempfile::tempdir().expect("tempdir");
    let manager = manager(root.path(), &index);
    manager
        .use_version(&selector("1.36.1"), &mut Vec::new())
        .expect("install old");

    let new = publish(&server, "1.37.2", &envtest_archive());
    let old = publish(&server, "1.36.1", &envtest_archive());
    serve_index(&server, &[old, new]);
    let latest = manager
        .use_version(&Selector::Latest, &mut Vec::new())
        .expect("latest");
    assert_eq!(latest.version.to_string(), "1.37.2");
    assert!(matches!(latest.source, Source::Downloaded(_)));

    // Offline, latest settles for the newest installed version and says so.
    let offline = self::manager(root.path(), &unreachable_url());
    let mut progress = Vec::new();
    let fallback = offline
        .use_version(&Selector::Latest, &mut progress)
        .expect("newest installed");
    assert_eq!(fallback.version.to_string(), "1.37.2");
    assert_eq!(fallback.source, Source::Installed);
    let progress = String::from_utf8_lossy(&progress);
    assert!(progress.contains("newest installed version"), "{progress}");
}

#[test]
fn corrupted_archive_is_refused_and_leaves_nothing_in_the_store() {
    let server = Server::start();
    let good = envtest_archive();
    let release = publish(&server, "1.37.2", &good);
    let expected_hash = release.sha512.clone();
    let mut corrupted = good.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0xff;
    let actual_hash = support::sha512_hex(&corrupted);
    server.serve("/releases/envtest-v1.37.2-linux-amd64.tar.gz", corrupted);
    let index = serve_index(&server, &[release]);
    let root = tempfile::tempdir().expect("tempdir");

    let error = manager(root.path(), &index)
        .use_version(&selector("1.37.2"), &mut Vec::new())
        .expect_err("hash mismatch");
    match &error {
        Error::HashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, &expected_hash);
            assert_eq!(actual, &actual_hash);
        }
        other => panic!("expected a hash mismatch, got: {other}"),
    }
    assert_eq!(
        store_contents(root.path()),
        Vec::<String>::new(),
        "no version dir, no temp dir"
    );

    // The same through the binary: a clear message with both hashes, a failing exit status.
    let (ok, stdout, stderr) = run(kubesmith()
        .args([
            "envtest", "use", "1.37.2", "--os", "linux", "--arch", "amd64",
        ])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &index]));
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(stderr.contains("SHA-512 mismatch"), "{stderr}");
    assert!(stderr.contains(&expected_hash), "{stderr}");
    assert!(stderr.contains(&actual_hash), "{stderr}");
    assert_eq!(store_contents(root.path()), Vec::<String>::new());
}

#[test]
fn verified_archive_with_a_foreign_layout_is_refused_and_leaves_nothing() {
    let server = Server::start();
    let entries: Vec<(String, Option<Vec<u8>>)> = ["etcd", "kube-apiserver", "kubectl"]
        .into_iter()
        .map(|name| (format!("kubebuilder/bin/{name}"), Some(fake_binary(name))))
        .collect();
    let release = publish(&server, "1.37.2", &tar_gz(&entries));
    let index = serve_index(&server, &[release]);
    let root = tempfile::tempdir().expect("tempdir");

    let error = manager(root.path(), &index)
        .use_version(&selector("1.37.2"), &mut Vec::new())
        .expect_err("wrong layout");
    let message = error.to_string();
    assert!(
        message.contains("unexpected entry `kubebuilder/bin/etcd`"),
        "{message}"
    );
    assert!(message.contains("controller-tools/envtest/"), "{message}");
    assert_eq!(store_contents(root.path()), Vec::<String>::new());
}

#[test]
fn installed_only_with_nothing_installed_is_an_error_without_network() {
    let Fixture {
        server,
        index,
        root,
    } = Fixture::publishing(&["1.37.2"]);

    let error = manager(root.path(), &index)
        .installed_only(true)
        .use_version(&selector("1.37.2"), &mut Vec::new())
        .expect_err("nothing installed");
    assert!(matches!(error, Error::NotInstalled { .. }), "{error}");

    let (ok, stdout, stderr) = run(kubesmith()
        .args(["envtest", "use", "-i", "--os", "linux", "--arch", "amd64"])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &index]));
    assert!(!ok);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("no installed envtest binaries match 1.37.2 for linux/amd64"),
        "{stderr}"
    );
    assert!(stderr.contains("found nothing"), "{stderr}");
    assert!(
        server.requests().is_empty(),
        "-i must not touch the network"
    );
}

#[test]
fn release_missing_from_the_index_is_reported_with_what_it_has() {
    let Fixture {
        server: _server,
        index,
        root,
    } = Fixture::publishing(&["1.36.1"]);

    let error = manager(root.path(), &index)
        .use_version(&selector("1.37.2"), &mut Vec::new())
        .expect_err("not in index");
    let message = error.to_string();
    assert!(
        message.contains("has no release matching 1.37.2 for linux/amd64"),
        "{message}"
    );
    assert!(message.contains("it has: 1.36.1"), "{message}");
    assert!(
        message.contains("disabled"),
        "the Go fallback was off: {message}"
    );
    assert!(message.contains("KUBEBUILDER_ASSETS"), "{message}");
}

#[test]
fn print_env_emits_a_quoted_export_line() {
    let Fixture {
        server: _server,
        index,
        root,
    } = Fixture::publishing(&["1.37.2"]);

    let (ok, stdout, stderr) = run(kubesmith()
        .args([
            "envtest", "use", "1.37", "-p", "env", "--os", "linux", "--arch", "amd64",
        ])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &index]));
    assert!(ok, "{stderr}");
    let dir = version_dir(root.path(), "1.37.2");
    assert_eq!(
        stdout,
        format!("export KUBEBUILDER_ASSETS='{}'\n", dir.display())
    );
    assert!(
        stderr.contains("downloading"),
        "progress goes to stderr: {stderr}"
    );
}

#[test]
fn list_marks_installed_and_available_versions_newest_first() {
    let Fixture {
        server,
        index,
        root,
    } = Fixture::publishing(&["1.36.1", "1.37.2", "1.38.0"]);
    manager(root.path(), &index)
        .use_version(&selector("1.37.2"), &mut Vec::new())
        .expect("install");
    let list = |extra: &[&str]| {
        run(kubesmith()
            .args(["envtest", "list", "--os", "linux", "--arch", "amd64"])
            .args(extra)
            .arg("--bin-dir")
            .arg(root.path())
            .args(["--index", &index]))
    };

    let (ok, stdout, stderr) = list(&[]);
    assert!(ok, "{stderr}");
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [
            ["1.38.0", "linux/amd64", "available"],
            ["1.37.2", "linux/amd64", "installed"],
            ["1.36.1", "linux/amd64", "available"],
        ]
    );

    let (ok, stdout, _) = list(&["1.36"]);
    assert!(ok);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    let requests_before = server.requests().len();
    let (ok, stdout, _) = list(&["-i"]);
    assert!(ok);
    assert_eq!(
        stdout.split_whitespace().collect::<Vec<_>>(),
        ["1.37.2", "linux/amd64", "installed"]
    );
    assert_eq!(
        server.requests().len(),
        requests_before,
        "-i lists without the index"
    );
}

#[test]
fn list_with_an_unreachable_index_says_so_and_still_lists_installed_versions() {
    let Fixture {
        server: _server,
        index,
        root,
    } = Fixture::publishing(&["1.37.2"]);
    manager(root.path(), &index)
        .use_version(&selector("1.37.2"), &mut Vec::new())
        .expect("install");

    let (ok, stdout, stderr) = run(kubesmith()
        .args(["envtest", "list", "--os", "linux", "--arch", "amd64"])
        .arg("--bin-dir")
        .arg(root.path())
        .args(["--index", &unreachable_url()]));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("the index is unavailable"), "{stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert_eq!(
        stdout.split_whitespace().collect::<Vec<_>>(),
        ["1.37.2", "linux/amd64", "installed"]
    );
}

#[test]
fn cleanup_removes_matching_versions_and_leftovers_and_says_what() {
    let Fixture {
        server: _server,
        index,
        root,
    } = Fixture::publishing(&["1.36.1", "1.37.2"]);
    let manager = manager(root.path(), &index);
    for version in ["1.36.1", "1.37.2"] {
        manager
            .use_version(&selector(version), &mut Vec::new())
            .expect("install");
    }
    let leftover = root
        .path()
        .join("k8s/.kubesmith-tmp-1.38.0-linux-amd64-abc123");
    fs::create_dir_all(leftover.join("assets")).expect("leftover");
    let cleanup = |extra: &[&str]| {
        run(kubesmith()
            .args(["envtest", "cleanup", "--os", "linux", "--arch", "amd64"])
            .args(extra)
            .arg("--bin-dir")
            .arg(root.path()))
    };

    let (ok, stdout, stderr) = cleanup(&["1.36"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("removed 1.36.1 (linux/amd64)"), "{stdout}");
    assert!(
        stdout.contains("removed leftover of an interrupted install"),
        "{stdout}"
    );
    assert!(!stdout.contains("1.37.2"), "{stdout}");
    assert_eq!(store_contents(root.path()), ["1.37.2-linux-amd64"]);

    let (ok, stdout, _) = cleanup(&[]);
    assert!(ok);
    assert!(stdout.contains("removed 1.37.2 (linux/amd64)"), "{stdout}");
    assert_eq!(store_contents(root.path()), Vec::<String>::new());

    let (ok, stdout, _) = cleanup(&[]);
    assert!(ok);
    assert!(stdout.starts_with("nothing to remove"), "{stdout}");
}

#[test]
fn malformed_arguments_say_what_is_accepted() {
    let (ok, _, stderr) = run(kubesmith().args(["envtest", "use", "1.x", "-i"]));
    assert!(!ok);
    assert!(stderr.contains("X.Y.Z, X.Y, X.Y.x or latest"), "{stderr}");

    let root = tempfile::tempdir().expect("tempdir");
    let (ok, _, stderr) = run(kubesmith()
        .args(["envtest", "use", "-i", "--os", "Linux/x"])
        .arg("--bin-dir")
        .arg(root.path()));
    assert!(!ok);
    assert!(stderr.contains("invalid OS `Linux/x`"), "{stderr}");
}
