//! Building the control plane (and, on request, the node binaries) with the Go toolchain from the
//! Go module proxy, for machines that cannot download release archives but can reach a module
//! proxy (air-gapped mirrors, CI).
//!
//! Steps of the control-plane build ([`build`]), each printed as a progress line:
//! 1. resolve the version: exact, or the newest stable `k8s.io/kubernetes` the proxy lists
//!    (`go list -m -versions`) that the selector accepts;
//! 2. `go mod download -json k8s.io/kubernetes@v<X.Y.Z>` and read that release's go.mod;
//! 3. in a throwaway module requiring it, with every `k8s.io/* v0.0.0` staging module replaced
//!    by its published `v0.<Y>.<Z>` (see [`go_mod`]), build
//!    `k8s.io/kubernetes/cmd/kube-apiserver` and `k8s.io/kubernetes/cmd/kubectl`;
//! 4. in a second throwaway module, build etcd's server (`etcdmain.Main`) at the version of
//!    `go.etcd.io/etcd/client/v3` that go.mod lists.
//!
//! The node binaries ([`build_node`]) come from the same throwaway module as step 3, built the
//! same way, and are added to the version directory afterwards.
//!
//! Builds use `CGO_ENABLED=0 go build -trimpath` (plus `-ldflags -X …` stamping the release
//! version into the Kubernetes binaries, as the release build does) with `GOOS`/`GOARCH` set to the target
//! platform (so cross-building works), `GOFLAGS` extended with `-mod=mod -buildvcs=false` and
//! `GOWORK=off`. Everything happens in a staging directory in the store that is renamed into
//! place at the end; the Go module and build caches make later builds fast.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Deserialize;

use super::error::{Error, list_or_nothing};
use super::go_mod::{self, ETCD_CLIENT_MODULE, GoMod};
use super::platform::Platform;
use super::store::{BinarySet, Staging, Store};
use super::version::{Selector, Version};

/// The module holding the Kubernetes commands.
const KUBERNETES_MODULE: &str = "k8s.io/kubernetes";

/// The control-plane binaries built from `k8s.io/kubernetes`, and their packages.
const CONTROL_PLANE_COMMANDS: [(&str, &str); 2] = [
    ("kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver"),
    ("kubectl", "k8s.io/kubernetes/cmd/kubectl"),
];

/// The node binaries ([`NODE_BINARIES`](super::store::NODE_BINARIES)) and their packages in
/// `k8s.io/kubernetes`.
const NODE_COMMANDS: [(&str, &str); 4] = [
    ("kubelet", "k8s.io/kubernetes/cmd/kubelet"),
    (
        "kube-controller-manager",
        "k8s.io/kubernetes/cmd/kube-controller-manager",
    ),
    ("kube-scheduler", "k8s.io/kubernetes/cmd/kube-scheduler"),
    ("kube-proxy", "k8s.io/kubernetes/cmd/kube-proxy"),
];

/// The only OS the node binaries are built for: the kubelet and kube-proxy are Linux programs.
pub const NODE_OS: &str = "linux";

/// The packages whose version variables the Kubernetes release build sets with `-ldflags -X`.
const VERSION_PACKAGES: [&str; 2] = [
    "k8s.io/component-base/version",
    "k8s.io/client-go/pkg/version",
];

/// How many lines of a failed command's output an error carries.
const OUTPUT_TAIL_LINES: usize = 25;

/// Builds the control plane of the release `selector` picks for `platform` with the Go
/// toolchain `go` and installs it into `store`. Returns the version built and its directory.
pub fn build(
    go: &Path,
    selector: &Selector,
    platform: &Platform,
    store: &Store,
    progress: &mut dyn Write,
) -> Result<(Version, PathBuf), Error> {
    let started = Instant::now();
    let toolchain = Toolchain::check(go, platform)?;
    let version = match selector {
        Selector::Exact(version) => *version,
        _ => toolchain.newest_kubernetes(selector, progress)?,
    };
    toolchain.announce(&format!("Kubernetes {version}"), progress);
    let staging = store.stage(version, platform, BinarySet::ControlPlane)?;
    let mut steps = Steps::new(CONTROL_PLANE_COMMANDS.len() + 2, progress);
    let (kube_dir, upstream) = toolchain.kubernetes_module(&staging, &version, &mut steps)?;
    let etcd_version = upstream
        .required_version(ETCD_CLIENT_MODULE)
        .ok_or_else(|| Error::GoModIncomplete {
            version: format!("v{version}"),
            expected: "requirement on go.etcd.io/etcd/client/v3 (the etcd version to build)",
        })?
        .to_owned();
    toolchain.build_commands(
        &kube_dir,
        &CONTROL_PLANE_COMMANDS,
        &version,
        &staging.assets(),
        &mut steps,
    )?;

    steps.next(&format!(
        "building etcd {etcd_version} ({})",
        go_mod::ETCD_SERVER_MODULE
    ));
    let etcd_dir = create_module_dir(staging.scratch(), "etcd")?;
    write_file(
        &etcd_dir.join("go.mod"),
        &go_mod::etcd_module(&etcd_version, &upstream),
    )?;
    write_file(&etcd_dir.join("main.go"), go_mod::ETCD_MAIN_GO)?;
    let etcd = staging.assets().join(platform.executable_name("etcd"));
    toolchain.build(&etcd_dir, ".", "", &etcd, steps.progress)?;

    let path = store.commit(staging)?;
    report_done(&format!("Kubernetes {version}"), started, steps.progress);
    Ok((version, path))
}

/// Builds the node binaries ([`NODE_BINARIES`](super::store::NODE_BINARIES): kubelet, kube-controller-manager,
/// kube-scheduler, kube-proxy) of Kubernetes `version` for `platform` with the Go toolchain
/// `go`, the same way as the control plane, and adds them to the installed version directory
/// in `store`. Returns that directory.
///
/// Release archives carry no node binaries, so this is the only way to get them into the store.
/// Only Linux is supported ([`Error::NodeUnsupportedPlatform`] otherwise).
pub fn build_node(
    go: &Path,
    version: &Version,
    platform: &Platform,
    store: &Store,
    progress: &mut dyn Write,
) -> Result<PathBuf, Error> {
    if platform.os != NODE_OS {
        return Err(Error::NodeUnsupportedPlatform {
            platform: platform.clone(),
        });
    }
    let started = Instant::now();
    let toolchain = Toolchain::check(go, platform)?;
    let what = format!("the node binaries of Kubernetes {version}");
    toolchain.announce(&what, progress);
    let staging = store.stage(*version, platform, BinarySet::Node)?;
    let mut steps = Steps::new(NODE_COMMANDS.len() + 1, progress);
    let (kube_dir, _) = toolchain.kubernetes_module(&staging, version, &mut steps)?;
    toolchain.build_commands(
        &kube_dir,
        &NODE_COMMANDS,
        version,
        &staging.assets(),
        &mut steps,
    )?;
    let path = store.commit(staging)?;
    report_done(&what, started, steps.progress);
    Ok(path)
}

/// Numbered progress lines: `envtest: [2/4] …`.
struct Steps<'a> {
    done: usize,
    total: usize,
    progress: &'a mut dyn Write,
}

impl<'a> Steps<'a> {
    fn new(total: usize, progress: &'a mut dyn Write) -> Self {
        Self {
            done: 0,
            total,
            progress,
        }
    }

    /// Prints the next step's line.
    fn next(&mut self, what: &str) {
        self.done += 1;
        let _ = writeln!(
            self.progress,
            "envtest: [{}/{}] {what}",
            self.done, self.total
        );
    }
}

fn report_done(what: &str, started: Instant, progress: &mut dyn Write) {
    let elapsed = started.elapsed().as_secs();
    let _ = writeln!(
        progress,
        "envtest: built {what} in {}m{:02}s",
        elapsed / 60,
        elapsed % 60
    );
}

/// The `go` command, targeting one platform.
struct Toolchain<'a> {
    go: &'a Path,
    platform: &'a Platform,
    /// What `go version` said, e.g. `go1.26.8 linux/amd64`.
    go_version: String,
}

impl<'a> Toolchain<'a> {
    /// The toolchain `go` for `platform`, after checking that it runs.
    fn check(go: &'a Path, platform: &'a Platform) -> Result<Self, Error> {
        let mut toolchain = Self {
            go,
            platform,
            go_version: String::new(),
        };
        toolchain.go_version = toolchain.version()?;
        Ok(toolchain)
    }

    /// Says what is about to be built, and with what.
    fn announce(&self, what: &str, progress: &mut dyn Write) {
        let _ = writeln!(
            progress,
            "envtest: building {what} for {} from the Go module proxy with {}; the first \
             build takes several minutes",
            self.platform, self.go_version
        );
    }

    /// Writes the throwaway module that builds commands of `k8s.io/kubernetes` at `version`
    /// into the scratch space of `staging`. Returns its directory and the release's go.mod.
    fn kubernetes_module(
        &self,
        staging: &Staging,
        version: &Version,
        steps: &mut Steps<'_>,
    ) -> Result<(PathBuf, GoMod), Error> {
        steps.next(&format!(
            "reading the go.mod of {KUBERNETES_MODULE} v{version}"
        ));
        let dir = create_module_dir(staging.scratch(), "kubernetes")?;
        let upstream = self.release_go_mod(&dir, version, steps.progress)?;
        write_file(
            &dir.join("go.mod"),
            &go_mod::kubernetes_module(version, &upstream),
        )?;
        Ok((dir, upstream))
    }

    /// Builds each of `commands` (binary name, package) in the module at `dir` into `assets`,
    /// with the version of the release stamped in.
    fn build_commands(
        &self,
        dir: &Path,
        commands: &[(&str, &str)],
        version: &Version,
        assets: &Path,
        steps: &mut Steps<'_>,
    ) -> Result<(), Error> {
        let ldflags = version_ldflags(version);
        for (binary, package) in commands {
            steps.next(&format!("building {binary} ({package})"));
            let output = assets.join(self.platform.executable_name(binary));
            self.build(dir, package, &ldflags, &output, steps.progress)?;
        }
        Ok(())
    }

    /// `go version`, which also tells whether the toolchain is there at all.
    fn version(&self) -> Result<String, Error> {
        let output = Command::new(self.go)
            .arg("version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| self.spawn_error(e))?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.status.success() {
            return Err(Error::GoFailed {
                command: self.describe(&["version"]),
                status: output.status.to_string(),
                output: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        Ok(text.strip_prefix("go version ").unwrap_or(&text).to_owned())
    }

    /// The newest stable `k8s.io/kubernetes` version on the proxy that `selector` accepts.
    fn newest_kubernetes(
        &self,
        selector: &Selector,
        progress: &mut dyn Write,
    ) -> Result<Version, Error> {
        let _ = writeln!(
            progress,
            "envtest: asking the Go module proxy for the {selector} release of {KUBERNETES_MODULE}"
        );
        let dir = tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
        write_file(
            &dir.path().join("go.mod"),
            "module kubesmith.local/envtest/versions\n",
        )?;
        let args = ["list", "-m", "-versions", KUBERNETES_MODULE];
        let stdout = self.run(dir.path(), &args, progress)?;
        let versions = parse_version_list(&stdout).ok_or_else(|| Error::GoOutput {
            command: self.describe(&args),
            expected: "`k8s.io/kubernetes v1.x.y v1.x.z …`",
            found: shorten(&stdout),
        })?;
        selector
            .newest(&versions)
            .ok_or_else(|| Error::NoGoRelease {
                selector: *selector,
                available: list_or_nothing(versions.iter().rev().take(5)),
            })
    }

    /// Downloads `k8s.io/kubernetes` at `version` into the module cache and parses its go.mod.
    fn release_go_mod(
        &self,
        dir: &Path,
        version: &Version,
        progress: &mut dyn Write,
    ) -> Result<GoMod, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Downloaded {
            go_mod: PathBuf,
        }
        let module = format!("{KUBERNETES_MODULE}@v{version}");
        let args = ["mod", "download", "-json", module.as_str()];
        let stdout = self.run(dir, &args, progress)?;
        let downloaded: Downloaded =
            serde_json::from_str(&stdout).map_err(|_| Error::GoOutput {
                command: self.describe(&args),
                expected: "a JSON object with a GoMod path",
                found: shorten(&stdout),
            })?;
        let text = fs::read_to_string(&downloaded.go_mod)
            .map_err(|e| Error::io("read", &downloaded.go_mod, e))?;
        Ok(GoMod::parse(&text))
    }

    /// `go build -trimpath [-ldflags <ldflags>] -o <output> <package>` in the module at `dir`.
    fn build(
        &self,
        dir: &Path,
        package: &str,
        ldflags: &str,
        output: &Path,
        progress: &mut dyn Write,
    ) -> Result<(), Error> {
        let output = output.to_string_lossy();
        let mut args = vec!["build", "-trimpath"];
        if !ldflags.is_empty() {
            args.extend(["-ldflags", ldflags]);
        }
        args.extend(["-o", output.as_ref(), package]);
        self.run(dir, &args, progress).map(drop)
    }

    /// Runs `go <args>` in `dir`, echoing its stderr (indented) to `progress` as it arrives.
    /// Returns its stdout; a non-zero exit becomes [`Error::GoFailed`] with the last lines.
    fn run(&self, dir: &Path, args: &[&str], progress: &mut dyn Write) -> Result<String, Error> {
        let mut goflags = std::env::var("GOFLAGS").unwrap_or_default();
        goflags.push_str(" -mod=mod -buildvcs=false");
        let mut child = Command::new(self.go)
            .args(args)
            .current_dir(dir)
            .env("CGO_ENABLED", "0")
            .env("GOOS", &self.platform.os)
            .env("GOARCH", &self.platform.arch)
            .env("GOFLAGS", goflags.trim())
            .env("GOWORK", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let stdout_reader = child.stdout.take().map(|mut stdout| {
            std::thread::spawn(move || {
                let mut text = String::new();
                stdout.read_to_string(&mut text).map(|_| text)
            })
        });
        let mut tail = VecDeque::with_capacity(OUTPUT_TAIL_LINES);
        if let Some(stderr) = child.stderr.take() {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(progress, "    {line}");
                if tail.len() == OUTPUT_TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
        let status = child
            .wait()
            .map_err(|e| Error::io("wait for", self.go, e))?;
        let stdout = match stdout_reader.map(std::thread::JoinHandle::join) {
            Some(Ok(Ok(text))) => text,
            Some(Ok(Err(e))) => return Err(Error::io("read the output of", self.go, e)),
            Some(Err(_)) | None => String::new(),
        };
        if status.success() {
            return Ok(stdout);
        }
        let mut output: Vec<String> = tail.into();
        if !stdout.trim().is_empty() {
            output.push(shorten(&stdout));
        }
        Err(Error::GoFailed {
            command: format!("{} (in {})", self.describe(args), dir.display()),
            status: status.to_string(),
            output: output.join("\n"),
        })
    }

    fn spawn_error(&self, error: io::Error) -> Error {
        if error.kind() == io::ErrorKind::NotFound {
            Error::GoMissing {
                program: self.go.display().to_string(),
            }
        } else {
            Error::io("run", self.go, error)
        }
    }

    fn describe(&self, args: &[&str]) -> String {
        format!("{} {}", self.go.display(), args.join(" "))
    }
}

/// The `-ldflags` that stamp the release version into the Kubernetes binaries, as the release
/// build does, so `--version` and the API server's `/version` report `v<X.Y.Z>` instead of the
/// source default `v0.0.0-master`.
fn version_ldflags(version: &Version) -> String {
    let values = [
        ("gitVersion", format!("v{version}")),
        ("gitMajor", version.major.to_string()),
        ("gitMinor", version.minor.to_string()),
    ];
    VERSION_PACKAGES
        .iter()
        .flat_map(|package| {
            values
                .iter()
                .map(move |(name, value)| format!("-X {package}.{name}={value}"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses `go list -m -versions` output (`<module> v1 v2 …`) into its stable versions, oldest
/// first. `None` if the output is not of that shape.
fn parse_version_list(stdout: &str) -> Option<Vec<Version>> {
    let mut words = stdout.split_whitespace();
    if words.next()? != KUBERNETES_MODULE {
        return None;
    }
    let mut versions: Vec<Version> = words.filter_map(|word| word.parse().ok()).collect();
    versions.sort();
    Some(versions)
}

fn create_module_dir(scratch: &Path, name: &str) -> Result<PathBuf, Error> {
    let dir = scratch.join(name);
    fs::create_dir(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
    // A placeholder go.mod so `go` commands run in module mode here, whatever surrounds the store.
    write_file(
        &dir.join("go.mod"),
        &format!("module kubesmith.local/envtest/{name}\n"),
    )?;
    Ok(dir)
}

fn write_file(path: &Path, contents: &str) -> Result<(), Error> {
    fs::write(path, contents).map_err(|e| Error::io("write", path, e))
}

/// At most 500 characters of `text`, for error messages.
fn shorten(text: &str) -> String {
    let trimmed = text.trim();
    match trimmed.char_indices().nth(500) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::NODE_BINARIES;
    use super::*;

    #[test]
    fn version_lists_keep_stable_releases_in_order() {
        let versions = parse_version_list(
            "k8s.io/kubernetes v1.13.0 v1.37.2 v1.31.0-beta.0 v1.36.10 v1.36.9\n",
        )
        .expect("parse");
        let shown: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["1.13.0", "1.36.9", "1.36.10", "1.37.2"]);
        assert_eq!(parse_version_list("go: no module\n"), None);
        assert_eq!(parse_version_list(""), None);
    }

    #[test]
    fn version_ldflags_stamp_both_version_packages() {
        let flags = version_ldflags(&Version::new(1, 37, 2));
        for expected in [
            "-X k8s.io/component-base/version.gitVersion=v1.37.2",
            "-X k8s.io/component-base/version.gitMajor=1",
            "-X k8s.io/component-base/version.gitMinor=37",
            "-X k8s.io/client-go/pkg/version.gitVersion=v1.37.2",
        ] {
            assert!(flags.contains(expected), "missing {expected:?} in {flags}");
        }
        assert!(!flags.contains('\''), "no quoting needed: {flags}");
    }

    #[test]
    fn node_commands_build_exactly_the_node_binaries() {
        let names: Vec<&str> = NODE_COMMANDS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, NODE_BINARIES);
        for (name, package) in NODE_COMMANDS {
            assert_eq!(package, format!("{KUBERNETES_MODULE}/cmd/{name}"));
        }
    }

    #[test]
    fn shorten_cuts_long_output_on_a_character_boundary() {
        let long = "é".repeat(600);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), 501);
        assert_eq!(shorten("  ok \n"), "ok");
    }
}
