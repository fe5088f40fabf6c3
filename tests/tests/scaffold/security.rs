//! checkov, a security scanner of Kubernetes manifests, on what `make build-installer` renders
//! for the single-group project (config/default with the image IMG) finds nothing but the
//! choices the book documents (book/src/project.md, "What a security scanner reports"):
//!
//! - CKV_K8S_38, the ServiceAccount token is mounted: the manager talks to the API server
//!   with it;
//! - CKV_K8S_43 and CKV_K8S_15, the image is named by a tag and its pull policy is not
//!   `Always`: an image loaded into a node is used as it is; IMG with a digest
//!   (`IMG=<name>@sha256:<digest>`) satisfies both;
//! - CKV2_K8S_6, no NetworkPolicy selects the manager's pods: until the one-line switch in
//!   config/default/kustomization.yaml (`#- ../network-policy` uncommented) is on.
//!
//! With a digest and the network policies only the token is left.

use std::collections::BTreeSet;
use std::path::Path;

use kubesmith_e2e::checkov::{self, Finding};
use kubesmith_e2e::prerequisite::require;
use kubesmith_e2e::scaffolded::{check_success, write};

use kubesmith_e2e::scaffolded::kept_dir;

use super::{kubectl, single_group};

/// The Deployment as checkov names it.
const DEPLOYMENT: &str = "Deployment.project-system.project-controller-manager";

/// The Deployment's pods as checkov names them (namespace, name, then labels).
const PODS: &str = "Pod.project-system.project-controller-manager.\
                    app.kubernetes.io/name-project.control-plane-controller-manager";

/// The line of config/default/kustomization.yaml that turns the network policies on.
const NETWORK_POLICY_OFF: &str = "#- ../network-policy\n";
const NETWORK_POLICY_ON: &str = "- ../network-policy\n";

/// A pinned image, as after `docker push` (any digest will do for the scanner).
const PINNED: &str = "registry.example.com/project:v0.1.0@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

fn finding(check: &str, resource: &str) -> Finding {
    Finding {
        check: check.to_string(),
        resource: resource.to_string(),
    }
}

/// The findings in `dist/install.yaml` of `make build-installer <vars>`, run on a copy of the
/// single-group project's Makefile and config/ in `name` (`edit` changes the copy first);
/// `None` when checkov cannot be installed here (a failure under `CI=true`).
fn findings(name: &str, vars: &[&str], edit: impl FnOnce(&Path)) -> Option<BTreeSet<Finding>> {
    let test = format!("security scan {name}");
    let python = require(&test, checkov::python())?;
    let checkov = checkov::install(&python).unwrap_or_else(|error| panic!("{error:#}"));
    let project = single_group();
    let dir = kept_dir(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("emptying the copy");
    }
    let files = kubesmith_cli::scaffold::engine::tree::read_files(&project.file("config"))
        .expect("the project's config");
    for (path, text) in files {
        write(&dir.join("config").join(path), &text).expect("copying config/");
    }
    std::fs::copy(project.file("Makefile"), dir.join("Makefile")).expect("copying the Makefile");
    edit(&dir);

    // `-o manifests`: the manifests are the project's, written already.
    let mut make = std::process::Command::new("make");
    make.current_dir(&dir)
        .args(["-o", "manifests", "build-installer"])
        .args(vars)
        .arg(format!("KUBECTL={}", kubectl().display()));
    let output = make.output().expect("make runs");
    check_success("make build-installer", &output).unwrap_or_else(|error| panic!("{error:#}"));
    let found = checkov::scan(&checkov, &dir.join("dist/install.yaml"));
    Some(found.unwrap_or_else(|error| panic!("{error:#}")))
}

#[test]
fn the_scanner_finds_only_the_documented_choices_in_the_default_deployment() {
    let Some(found) = findings("security-default", &[], |_| {}) else {
        return;
    };
    let expected = BTreeSet::from([
        finding("CKV_K8S_15", DEPLOYMENT),
        finding("CKV_K8S_38", DEPLOYMENT),
        finding("CKV_K8S_43", DEPLOYMENT),
        finding("CKV2_K8S_6", PODS),
    ]);
    assert_eq!(found, expected);
}

#[test]
fn a_pinned_image_and_the_network_policies_leave_only_the_service_account_token() {
    let Some(found) = findings("security-hardened", &[&format!("IMG={PINNED}")], |dir| {
        let path = dir.join("config/default/kustomization.yaml");
        let text = std::fs::read_to_string(&path).expect("the kustomization");
        assert_eq!(text.matches(NETWORK_POLICY_OFF).count(), 1, "{text}");
        std::fs::write(&path, text.replace(NETWORK_POLICY_OFF, NETWORK_POLICY_ON))
            .expect("turning the network policies on");
    }) else {
        return;
    };
    let installer =
        std::fs::read_to_string(kept_dir("security-hardened").join("dist/install.yaml"))
            .expect("dist/install.yaml");
    assert!(
        installer.contains(&format!("image: {PINNED}\n")),
        "the image is not pinned"
    );
    assert!(
        installer.contains("kind: NetworkPolicy"),
        "no network policy"
    );
    assert_eq!(found, BTreeSet::from([finding("CKV_K8S_38", DEPLOYMENT)]));
}
