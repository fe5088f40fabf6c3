//! Generated files compared byte for byte with the goldens in `sdk/tests/golden/`.

use std::path::{Path, PathBuf};

use kubesmith::manifests::{Error, Manifests};
use kubesmith::rbac::Rule;

use crate::{api, manifests};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn generated_manifests_match_the_goldens() {
    let dir = golden_dir();
    let generator = manifests(&dir);
    if std::env::var_os("KUBESMITH_BLESS").is_some() {
        generator.write().expect("write goldens");
    }
    let files = generator.render().expect("render");
    let names: Vec<String> = files.keys().map(|p| p.display().to_string()).collect();
    assert_eq!(
        names,
        [
            "config/crd/bases/batch.kubesmith.dev_cronjobs.yaml",
            "config/crd/bases/shop.kubesmith.dev_widgets.yaml",
            "config/rbac/role.yaml",
            "config/webhook/manifests.yaml",
        ]
    );
    for (path, text) in files {
        let golden = std::fs::read_to_string(dir.join(&path))
            .unwrap_or_else(|e| panic!("{}: {e} (run with KUBESMITH_BLESS=1)", path.display()));
        assert!(
            golden == text,
            "{} drifted; run with KUBESMITH_BLESS=1 and review the diff:\n{text}",
            path.display()
        );
    }
}

#[test]
fn generation_is_deterministic() {
    let dir = golden_dir();
    assert_eq!(
        manifests(&dir).render().expect("first"),
        manifests(&dir).render().expect("second")
    );
}

#[test]
fn check_mode_reports_stale_and_missing_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generator = manifests(dir.path());
    match generator.check() {
        Err(Error::Stale(files)) => assert_eq!(files.len(), 4),
        other => panic!("expected missing files to be stale, got {other:?}"),
    }
    generator.write().expect("write");
    generator.check().expect("fresh files pass the check");
    let role = dir.path().join("config/rbac/role.yaml");
    std::fs::write(&role, "---\n").expect("edit");
    match generator.check() {
        Err(Error::Stale(files)) => assert_eq!(files, [PathBuf::from("config/rbac/role.yaml")]),
        other => panic!("expected the edited role to be stale, got {other:?}"),
    }
}

#[test]
fn the_check_argument_exits_non_zero_on_stale_files() {
    use std::process::ExitCode;
    let dir = tempfile::tempdir().expect("temp dir");
    let check = || manifests(dir.path()).run(["--check".to_string()]);
    assert_eq!(check(), ExitCode::FAILURE, "missing files are stale");
    assert_eq!(manifests(dir.path()).run(Vec::new()), ExitCode::SUCCESS);
    assert_eq!(check(), ExitCode::SUCCESS, "freshly written files pass");
}

#[test]
fn two_versions_need_exactly_one_storage_version() {
    let two_stored = Manifests::new(".")
        .crd::<api::widget::v1::Widget>()
        .crd::<api::widget::v1::Widget>();
    match two_stored.render() {
        Err(Error::StorageVersion { crd, found }) => {
            assert_eq!(crd, "widgets.shop.kubesmith.dev");
            assert_eq!(found, ["v1", "v1"]);
        }
        other => panic!("expected a storage version error, got {other:?}"),
    }
    let none_stored = Manifests::new(".")
        .crd::<api::widget::v1beta1::Widget>()
        .crd::<api::widget::v1beta1::Widget>();
    assert!(matches!(
        none_stored.render(),
        Err(Error::StorageVersion { .. })
    ));
}

#[test]
fn rbac_derive_declares_rules() {
    #[derive(kubesmith::Rbac)]
    #[rbac(groups = ["apps"], resources = ["deployments"], verbs = ["get", "list"])]
    #[rbac(urls = ["/metrics"], verbs = ["get"])]
    #[rbac(groups = [""], resources = ["secrets"], resource_names = ["tls"], verbs = ["get"], namespace = "system")]
    struct Declared;

    use kubesmith::rbac::RbacRules;
    assert_eq!(
        Declared::rbac_rules(),
        [
            Rule::new(&["apps"], &["deployments"], &["get", "list"]),
            Rule::urls(&["/metrics"], &["get"]),
            Rule::new(&[""], &["secrets"], &["get"])
                .resource_names(&["tls"])
                .in_namespace("system"),
        ]
    );
}

#[test]
fn schema_problems_name_the_rust_type_and_field() {
    use kube::CustomResource;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    #[kubesmith::markers]
    #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
    #[kube(group = "broken.kubesmith.dev", version = "v1", kind = "Broken")]
    #[serde(rename_all = "camelCase")]
    pub struct BrokenSpec {
        #[k8s(minimum = 5, default = 1)]
        pub replica_count: i32,
        #[k8s(cel = "self.size() > 0")]
        pub flag: bool,
        #[k8s(cel = "self.nmae != ''")]
        pub inner: Inner,
    }

    #[kubesmith::markers]
    #[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
    pub struct Inner {
        pub name: String,
    }

    let error = kubesmith::schema::crd::<Broken>().expect_err("broken schema");
    let text = error.to_string();
    assert!(
        text.contains("BrokenSpec.replica_count (`spec.replicaCount`): default 1 does not satisfy"),
        "{text}"
    );
    assert!(
        text.contains("BrokenSpec.flag (`spec.flag`): CEL rule \"self.size() > 0\": size() needs"),
        "{text}"
    );
    assert!(
        text.contains(
            "BrokenSpec.inner (`spec.inner`): CEL rule \"self.nmae != ''\": no field \"nmae\""
        ),
        "{text}"
    );
}

#[test]
fn enums_without_a_structural_schema_are_reported_at_generation_time() {
    use kube::CustomResource;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// Internally tagged: not marked, so only generation can catch it.
    #[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
    #[serde(tag = "type")]
    pub enum Source {
        Git { url: String },
        Image { name: i32 },
    }

    #[kubesmith::markers]
    #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
    #[kube(group = "enums.kubesmith.dev", version = "v1", kind = "Enums")]
    pub struct EnumsSpec {
        pub source: Source,
    }

    match kubesmith::schema::crd::<Enums>() {
        Err(kubesmith::schema::SchemaError::Generation { crd, message }) => {
            assert_eq!(crd, "enumses.enums.kubesmith.dev");
            assert!(message.contains("Property \"type\""), "{message}");
        }
        other => panic!("expected a generation error, got {other:?}"),
    }
}

#[test]
fn role_namespace_turns_the_cluster_role_into_a_role_in_that_namespace() {
    let rules = || {
        [
            Rule::new(&["apps"], &["deployments"], &["get", "list", "watch"]),
            Rule::urls(&["/metrics"], &["get"]),
            Rule::new(&["coordination.k8s.io"], &["leases"], &["get", "update"])
                .in_namespace("kube-system"),
        ]
    };
    let role = |manifests: Manifests| {
        let mut files = manifests.rules(rules()).render().expect("render");
        files
            .remove(Path::new("config/rbac/role.yaml"))
            .expect("role.yaml")
    };
    let role_in_kube_system = "\
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: manager-role
  namespace: kube-system
rules:
- apiGroups:
  - coordination.k8s.io
  resources:
  - leases
  verbs:
  - get
  - update
";
    assert_eq!(
        role(Manifests::new(".")),
        format!(
            "\
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: manager-role
rules:
- nonResourceURLs:
  - /metrics
  verbs:
  - get
- apiGroups:
  - apps
  resources:
  - deployments
  verbs:
  - get
  - list
  - watch
{role_in_kube_system}"
        ),
        "without a role namespace, rules without a namespace make the ClusterRole"
    );
    assert_eq!(
        role(Manifests::new(".").role_namespace("system")),
        format!(
            "\
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: manager-role
rules:
- nonResourceURLs:
  - /metrics
  verbs:
  - get
{role_in_kube_system}---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: manager-role
  namespace: system
rules:
- apiGroups:
  - apps
  resources:
  - deployments
  verbs:
  - get
  - list
  - watch
"
        ),
        "with one, they make a Role in it; explicit namespaces and URL rules stay where they were"
    );
}
