//! Reading the `k8s.io/kubernetes` go.mod and writing the throwaway modules that build the
//! control plane from the Go module proxy.
//!
//! `k8s.io/kubernetes` requires its staging modules (`k8s.io/api`, `k8s.io/apiserver`, …) at the
//! placeholder version `v0.0.0` and replaces them with `./staging/...` directories, which only
//! work inside a checkout. A module that depends on `k8s.io/kubernetes` therefore has to replace
//! each of them with its published release, `v0.<minor>.<patch>` for Kubernetes
//! `1.<minor>.<patch>`. The list is derived from the go.mod, not hard-coded, because it changes
//! between minors.

use std::fmt::Write as _;

use super::version::Version;

/// The module whose `main` package runs etcd.
pub const ETCD_SERVER_MODULE: &str = "go.etcd.io/etcd/server/v3";

/// The etcd module `k8s.io/kubernetes` requires directly; its version is the etcd version the
/// release was tested against, and the server is built at that version.
pub const ETCD_CLIENT_MODULE: &str = "go.etcd.io/etcd/client/v3";

/// The placeholder version of staging modules in the `k8s.io/kubernetes` go.mod.
const STAGING_PLACEHOLDER: &str = "v0.0.0";

/// The parts of a go.mod file the build needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoMod {
    /// The `go` directive's version, e.g. `1.26.0`.
    pub go: Option<String>,
    /// The `godebug` settings, e.g. `default=go1.26`.
    pub godebug: Vec<String>,
    /// Every `require` line as (module path, version), direct and indirect.
    pub requires: Vec<(String, String)>,
}

impl GoMod {
    /// Parses go.mod text: single-line and block (`require ( … )`) directives, `//` comments.
    /// Directives other than `go`, `godebug` and `require` are skipped.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut parsed = Self::default();
        let mut block: Option<String> = None;
        for raw in text.lines() {
            let line = raw.split("//").next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            if let Some(verb) = &block {
                if line == ")" {
                    block = None;
                } else {
                    parsed.directive(&verb.clone(), line);
                }
                continue;
            }
            let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            if rest == "(" {
                block = Some(verb.to_owned());
            } else {
                parsed.directive(verb, rest);
            }
        }
        parsed
    }

    fn directive(&mut self, verb: &str, args: &str) {
        match verb {
            "go" => self.go = Some(args.to_owned()),
            "godebug" => self.godebug.push(args.to_owned()),
            "require" => {
                let mut words = args.split_whitespace();
                if let (Some(module), Some(version)) = (words.next(), words.next()) {
                    self.requires.push((module.to_owned(), version.to_owned()));
                }
            }
            _ => {}
        }
    }

    /// The version required for `module`, if any.
    #[must_use]
    pub fn required_version(&self, module: &str) -> Option<&str> {
        self.requires
            .iter()
            .find(|(path, _)| path == module)
            .map(|(_, version)| version.as_str())
    }

    /// The `replace` directives a module depending on `k8s.io/kubernetes` at `kubernetes` needs:
    /// each `k8s.io/<name> v0.0.0` requirement mapped to `k8s.io/<name> v0.<minor>.<patch>`.
    #[must_use]
    pub fn staging_replacements(&self, kubernetes: &Version) -> Vec<(String, String)> {
        let published = format!("v0.{}.{}", kubernetes.minor, kubernetes.patch);
        self.requires
            .iter()
            .filter(|(module, version)| {
                module.starts_with("k8s.io/") && version == STAGING_PLACEHOLDER
            })
            .map(|(module, _)| (module.clone(), published.clone()))
            .collect()
    }
}

/// The go.mod of the module that builds `kube-apiserver` and `kubectl` from `k8s.io/kubernetes`
/// at `kubernetes`, given that release's own go.mod. Its `go` and `godebug` settings are
/// carried over so the binaries behave like upstream builds.
#[must_use]
pub fn kubernetes_module(kubernetes: &Version, upstream: &GoMod) -> String {
    let mut text = header("kubernetes", upstream);
    let _ = writeln!(text, "require k8s.io/kubernetes v{kubernetes}\n");
    let replacements = upstream.staging_replacements(kubernetes);
    if !replacements.is_empty() {
        text.push_str("replace (\n");
        for (module, version) in replacements {
            let _ = writeln!(text, "\t{module} => {module} {version}");
        }
        text.push_str(")\n");
    }
    text
}

/// The go.mod of the module that builds etcd's server at `etcd_version`.
#[must_use]
pub fn etcd_module(etcd_version: &str, upstream: &GoMod) -> String {
    let mut text = header("etcd", upstream);
    let _ = writeln!(text, "require {ETCD_SERVER_MODULE} {etcd_version}");
    text
}

/// The `main` package of the etcd module: etcd's own entry point.
pub const ETCD_MAIN_GO: &str = r#"// Generated by kubesmith: the etcd server, for envtest.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"#;

/// `module`, `go` and `godebug` lines shared by both throwaway modules.
fn header(name: &str, upstream: &GoMod) -> String {
    let mut text = format!(
        "// Generated by kubesmith to build envtest binaries; safe to delete.\n\
         module kubesmith.local/envtest/{name}\n\n"
    );
    if let Some(go) = &upstream.go {
        let _ = writeln!(text, "go {go}\n");
    }
    for setting in &upstream.godebug {
        let _ = writeln!(text, "godebug {setting}\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shortened go.mod in the shape of k8s.io/kubernetes'.
    const KUBERNETES_GO_MOD: &str = "// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
\tgithub.com/blang/semver/v4 v4.0.0
\tgo.etcd.io/etcd/api/v3 v3.7.0
\tgo.etcd.io/etcd/client/v3 v3.7.0
\tk8s.io/api v0.0.0
\tk8s.io/apiserver v0.0.0
\tk8s.io/klog/v2 v2.140.0
\tk8s.io/utils v0.0.0-20260626114624-be93311217bd
)

require (
\tgo.etcd.io/etcd/server/v3 v3.7.0 // indirect
\tk8s.io/kms v0.0.0 // indirect
)

require k8s.io/streaming v0.0.0

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apiserver => ./staging/src/k8s.io/apiserver
)
";

    fn v1_37_2() -> Version {
        Version::new(1, 37, 2)
    }

    #[test]
    fn parses_directives_in_blocks_and_single_lines() {
        let go_mod = GoMod::parse(KUBERNETES_GO_MOD);
        assert_eq!(go_mod.go.as_deref(), Some("1.26.0"));
        assert_eq!(go_mod.godebug, vec!["default=go1.26".to_owned()]);
        assert_eq!(go_mod.requires.len(), 10);
        assert_eq!(go_mod.required_version(ETCD_CLIENT_MODULE), Some("v3.7.0"));
        assert_eq!(go_mod.required_version("k8s.io/kms"), Some("v0.0.0"));
        assert_eq!(go_mod.required_version("k8s.io/streaming"), Some("v0.0.0"));
        assert_eq!(go_mod.required_version("example.com/absent"), None);
    }

    #[test]
    fn every_v0_0_0_k8s_requirement_becomes_a_replace_with_the_matching_minor() {
        let replacements = GoMod::parse(KUBERNETES_GO_MOD).staging_replacements(&v1_37_2());
        let expected: Vec<(String, String)> = [
            "k8s.io/api",
            "k8s.io/apiserver",
            "k8s.io/kms",
            "k8s.io/streaming",
        ]
        .into_iter()
        .map(|module| (module.to_owned(), "v0.37.2".to_owned()))
        .collect();
        assert_eq!(replacements, expected);
    }

    #[test]
    fn pseudo_versions_and_other_modules_are_not_replaced() {
        let replacements = GoMod::parse(KUBERNETES_GO_MOD).staging_replacements(&v1_37_2());
        assert!(
            !replacements
                .iter()
                .any(|(m, _)| m == "k8s.io/utils" || m == "k8s.io/klog/v2")
        );
        assert!(
            !replacements
                .iter()
                .any(|(m, _)| m.starts_with("go.etcd.io"))
        );
    }

    #[test]
    fn the_kubernetes_module_requires_the_release_and_replaces_staging_modules() {
        let text = kubernetes_module(&v1_37_2(), &GoMod::parse(KUBERNETES_GO_MOD));
        assert!(
            text.contains("\nmodule kubesmith.local/envtest/kubernetes\n"),
            "{text}"
        );
        assert!(text.contains("\ngo 1.26.0\n"), "{text}");
        assert!(text.contains("\ngodebug default=go1.26\n"), "{text}");
        assert!(
            text.contains("\nrequire k8s.io/kubernetes v1.37.2\n"),
            "{text}"
        );
        assert!(
            text.contains("\n\tk8s.io/api => k8s.io/api v0.37.2\n"),
            "{text}"
        );
        assert!(
            text.contains("\n\tk8s.io/streaming => k8s.io/streaming v0.37.2\n"),
            "{text}"
        );
        assert!(!text.contains("./staging"), "{text}");
        // What we generate must read back the same way.
        let reparsed = GoMod::parse(&text);
        assert_eq!(
            reparsed.required_version("k8s.io/kubernetes"),
            Some("v1.37.2")
        );
    }

    #[test]
    fn the_etcd_module_requires_the_server_at_the_given_version() {
        let text = etcd_module("v3.7.0", &GoMod::parse(KUBERNETES_GO_MOD));
        assert!(
            text.contains("\nrequire go.etcd.io/etcd/server/v3 v3.7.0\n"),
            "{text}"
        );
        assert!(text.contains("\ngo 1.26.0\n"), "{text}");
        assert!(ETCD_MAIN_GO.contains("etcdmain.Main(os.Args)"));
    }
}
