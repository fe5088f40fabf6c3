//! Living with a project after its first scaffold, with the real `kubesmith` binary: `delete
//! api` and `delete webhook` take back exactly what `create` added, refuse to delete what was
//! edited unless `--force`; `edit` changes project-wide options as if the project had been
//! created with them; `alpha generate` re-creates a project's scaffold byte for byte; `alpha
//! update` merges a newer scaffold into a project with the user's edits, on a new git branch.

use std::path::{Path, PathBuf};

mod git;
mod trees;

use git::git;
use trees::{kubesmith, kubesmith_ok, kubesmith_ok_with, snapshot, tree_changes};

/// A project in a temporary directory, scaffolded by running each of `commands`.
fn project(commands: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let dir = temp.path().join("demo");
    std::fs::create_dir(&dir).expect("the project directory");
    for command in commands {
        kubesmith_ok(&dir, command);
    }
    (temp, dir)
}

const INIT: &str = "init --domain example.com --project-name demo";
const CRONJOB: &str = "create api --group batch --version v1 --kind CronJob --make=false";
const CRONJOB_V2: &str =
    "create api --group batch --version v2 --kind CronJob --controller=false --make=false";
const CLUSTER: &str =
    "create api --group batch --version v1 --kind Cluster --namespaced=false --make=false";
const WEBHOOKS: &str = "create webhook --group batch --version v1 --kind CronJob --defaulting --programmatic-validation --make=false";
const CONVERSION: &str =
    "create webhook --group batch --version v1 --kind CronJob --conversion --spoke v2 --make=false";
const ALL_WEBHOOKS: &str = "create webhook --group batch --version v1 --kind CronJob --defaulting --programmatic-validation --conversion --spoke v2 --make=false";

/// Asserts that the trees `a` and `b` hold the same files, byte for byte.
fn assert_same(a: &Path, b: &Path) {
    assert_eq!(
        tree_changes(&snapshot(a), &snapshot(b)),
        Vec::<String>::new()
    );
}

/// Appends `text` to the file `path`.
fn append(path: &Path, text: &str) {
    let mut content = std::fs::read_to_string(path).expect("a file to edit");
    content.push_str(text);
    std::fs::write(path, content).expect("an edit");
}

/// The differences between two project trees, ignoring the checksum record (which keeps the
/// checksum of each file as it was generated, so it depends on the order of commands).
fn differences(a: &Path, b: &Path) -> Vec<String> {
    let without_checksums = |dir: &Path| {
        let mut tree = snapshot(dir);
        tree.remove(Path::new(".kubesmith/scaffold.sha256"));
        tree
    };
    tree_changes(&without_checksums(a), &without_checksums(b))
}

#[test]
fn deleting_an_api_and_creating_it_again_gives_the_same_tree() {
    let (_temp, dir) = project(&[INIT, CRONJOB, CLUSTER]);
    let created = snapshot(&dir);
    kubesmith_ok(
        &dir,
        "delete api --group batch --version v1 --kind CronJob --make=false",
    );
    let (_fresh, only_cluster) = project(&[INIT, CLUSTER]);
    assert_eq!(
        differences(&only_cluster, &dir),
        Vec::<String>::new(),
        "after the delete the project is the one created without the API"
    );
    kubesmith_ok(&dir, CRONJOB);
    // Insertions go before the markers, so the re-created API's lines come after Cluster's:
    // compare with a project created in that order.
    let (_again, reordered) = project(&[INIT, CLUSTER, CRONJOB]);
    assert_eq!(differences(&reordered, &dir), Vec::<String>::new());
    kubesmith_ok(
        &dir,
        "delete api --group batch --version v1 --kind CronJob --make=false",
    );
    kubesmith_ok(
        &dir,
        "delete api --group batch --version v1 --kind Cluster --make=false",
    );
    let (_init, fresh) = project(&[INIT]);
    assert_same(&fresh, &dir);
    // The last API and then re-created: byte for byte what the first create wrote.
    kubesmith_ok(&dir, CRONJOB);
    kubesmith_ok(&dir, CLUSTER);
    assert_eq!(
        tree_changes(&created, &snapshot(&dir)),
        Vec::<String>::new()
    );
}

#[test]
fn deleting_webhooks_and_creating_them_again_gives_the_same_tree() {
    let (_temp, dir) = project(&[INIT, CRONJOB, CRONJOB_V2, WEBHOOKS]);
    let with_webhooks = snapshot(&dir);
    kubesmith_ok(
        &dir,
        "delete webhook --group batch --version v1 --kind CronJob --make=false",
    );
    let (_fresh, without) = project(&[INIT, CRONJOB, CRONJOB_V2]);
    assert_same(&without, &dir);
    kubesmith_ok(&dir, WEBHOOKS);
    assert_eq!(
        tree_changes(&with_webhooks, &snapshot(&dir)),
        Vec::<String>::new()
    );
    // A conversion webhook takes its spoke's `From` implementations with it.
    let (_conversion, converted) = project(&[INIT, CRONJOB, CRONJOB_V2, CONVERSION]);
    kubesmith_ok(
        &converted,
        "delete webhook --group batch --version v1 --kind CronJob --make=false",
    );
    assert_same(&without, &converted);
}

#[test]
fn deleting_an_edited_api_is_refused_until_forced() {
    let (_temp, dir) = project(&[INIT, CRONJOB]);
    let controller = dir.join("src/controller/cronjob.rs");
    append(&controller, "\n// My reconcile helpers.\n");
    let edited = snapshot(&dir);
    let delete = "delete api --group batch --version v1 --kind CronJob --make=false";
    let refused = kubesmith(&dir, delete, &[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("src/controller/cronjob.rs") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(tree_changes(&edited, &snapshot(&dir)), Vec::<String>::new());
    kubesmith_ok(&dir, &format!("{delete} --force"));
    assert!(!controller.exists());
    let (_fresh, fresh) = project(&[INIT]);
    assert_same(&fresh, &dir);
}

#[test]
fn an_edited_shared_file_keeps_its_edits_when_an_api_goes() {
    let (_temp, dir) = project(&[INIT, CRONJOB]);
    let lib = dir.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).expect("lib.rs");
    assert!(text.contains("controller::cronjob::controller()"), "{text}");
    let edited = text.replace(
        "pub fn operator() -> Operator {",
        "// Started by systemd.\npub fn operator() -> Operator {",
    );
    assert_ne!(edited, text);
    std::fs::write(&lib, &edited).expect("an edit");
    kubesmith_ok(
        &dir,
        "delete api --group batch --version v1 --kind CronJob --make=false",
    );
    let after = std::fs::read_to_string(&lib).expect("lib.rs");
    assert!(after.contains("// Started by systemd."));
    assert!(!after.contains("cronjob"), "{after}");
}

#[test]
fn a_license_file_heads_every_rust_file_and_survives_a_replay() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let header = temp.path().join("header.txt");
    std::fs::write(
        &header,
        "Copyright YEAR Example Corp. All rights reserved.\n",
    )
    .expect("the header");
    let dir = temp.path().join("demo");
    std::fs::create_dir(&dir).expect("the project directory");
    kubesmith_ok(&dir, &format!("{INIT} --license-file {}", header.display()));
    kubesmith_ok(&dir, CRONJOB);
    let project = std::fs::read_to_string(dir.join("PROJECT")).expect("PROJECT");
    assert!(project.contains("license: custom"), "{project}");
    for file in [
        "src/main.rs",
        "src/controller/cronjob.rs",
        "tests/cronjob_controller.rs",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("a Rust file");
        assert!(
            text.starts_with("// Copyright 2026 Example Corp. All rights reserved.\n"),
            "{file}: {text}"
        );
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(!manifest.contains("license ="), "{manifest}");
    // Replayed from PROJECT and hack/boilerplate.rs.txt: the same files.
    kubesmith_ok(&dir, "alpha generate --output target/regenerated");
    assert_eq!(
        differences(&dir.join("target/regenerated/src"), &dir.join("src")),
        Vec::<String>::new()
    );
}

#[test]
fn edit_namespaced_gives_the_project_created_namespaced_and_back() {
    let (_temp, dir) = project(&[INIT, CRONJOB]);
    let before = snapshot(&dir);
    kubesmith_ok(&dir, "edit --namespaced --make=false");
    let (_fresh, namespaced) = project(&[
        "init --domain example.com --project-name demo --namespaced",
        CRONJOB,
    ]);
    assert_eq!(differences(&namespaced, &dir), Vec::<String>::new());
    kubesmith_ok(&dir, "edit --namespaced=false --make=false");
    assert_eq!(tree_changes(&before, &snapshot(&dir)), Vec::<String>::new());
}

#[test]
fn edit_multigroup_moves_the_kinds_with_their_edits_and_rewrites_module_paths() {
    let (_temp, dir) = project(&[INIT, CRONJOB, CRONJOB_V2, CLUSTER, ALL_WEBHOOKS]);
    let note = "\n// Our own note.\n";
    append(&dir.join("src/controller/cronjob.rs"), note);
    // A module of the user's that names the moved modules.
    std::fs::write(
        dir.join("src/schedule.rs"),
        "use crate::api::v1::cronjob::CronJob;\nuse crate::api::v2;\n\npub fn next(_: &CronJob, _: &v2::cronjob::CronJob) {}\n",
    )
    .expect("a user module");

    kubesmith_ok(&dir, "edit --multigroup --make=false");

    let (_fresh, multigroup) = project(&[
        "init --domain example.com --project-name demo --multigroup",
        CRONJOB,
        CRONJOB_V2,
        CLUSTER,
        ALL_WEBHOOKS,
    ]);
    let moved = dir.join("src/controller/batch/cronjob.rs");
    let moved_text = std::fs::read_to_string(&moved).expect("the moved controller");
    assert!(moved_text.ends_with(note), "the edit moved along");
    std::fs::write(&moved, moved_text.trim_end_matches(note)).expect("the edit taken back");
    assert_eq!(
        std::fs::read_to_string(dir.join("src/schedule.rs")).expect("the user module"),
        "use crate::api::batch::v1::cronjob::CronJob;\nuse crate::api::batch::v2;\n\npub fn next(_: &CronJob, _: &v2::cronjob::CronJob) {}\n"
    );
    std::fs::remove_file(dir.join("src/schedule.rs")).expect("the user module removed");
    assert_eq!(differences(&multigroup, &dir), Vec::<String>::new());
}

#[test]
fn alpha_generate_reproduces_the_golden_projects_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden");
    for name in [
        "project",
        "project-multigroup",
        "project-self-managed",
        "project-core",
    ] {
        let temp = tempfile::tempdir().expect("a temporary directory");
        let output = temp.path().join("generated");
        kubesmith_ok(
            &root.join(name),
            &format!("alpha generate --output {}", output.display()),
        );
        assert_eq!(
            tree_changes(&snapshot(&root.join(name)), &snapshot(&output)),
            Vec::<String>::new(),
            "{name}"
        );
    }
}

#[test]
fn alpha_generate_leaves_user_edits_to_the_diff() {
    let (_temp, dir) = project(&[INIT, CRONJOB]);
    let pristine = snapshot(&dir);
    let types = dir.join("src/api/v1/cronjob.rs");
    let text = std::fs::read_to_string(&types).expect("the types");
    std::fs::write(
        &types,
        text.replace("pub struct CronJobSpec", "pub struct CronJobSpec "),
    )
    .expect("an edit");
    kubesmith_ok(&dir, "alpha generate");
    let generated = dir.join("target/kubesmith-generate");
    assert_eq!(
        tree_changes(&pristine, &snapshot(&generated)),
        Vec::<String>::new()
    );
    // The project itself is untouched but for the output directory; a second run needs
    // --force to replace it.
    let again = kubesmith(&dir, "alpha generate", &[]);
    assert_eq!(again.status.code(), Some(1));
    kubesmith_ok(&dir, "alpha generate --force");
}

#[test]
fn deleting_a_core_kinds_controllers_and_creating_them_again_gives_the_same_tree() {
    const DEPLOYMENT: &str =
        "create api --group apps --version v1 --kind Deployment --resource=false --make=false";
    const BACKUP: &str = "create api --group apps --version v1 --kind Deployment --resource=false --controller-name deployment_backup --make=false";
    let (_temp, dir) = project(&[INIT, CRONJOB, DEPLOYMENT, BACKUP]);
    let before = snapshot(&dir);
    // A second controller of the same name is refused.
    let again = kubesmith(&dir, BACKUP, &[]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("Deployment (deployment_backup)"),
        "{again:?}"
    );
    kubesmith_ok(
        &dir,
        "delete api --group apps --version v1 --kind Deployment --make=false",
    );
    for gone in [
        "src/controller/deployment.rs",
        "src/controller/deployment_backup.rs",
        "tests/deployment_backup_controller.rs",
    ] {
        assert!(!dir.join(gone).exists(), "{gone} is left");
    }
    kubesmith_ok(&dir, DEPLOYMENT);
    kubesmith_ok(&dir, BACKUP);
    assert_eq!(tree_changes(&before, &snapshot(&dir)), Vec::<String>::new());
}

#[test]
fn a_deploy_image_kind_and_the_grafana_plugin_survive_deletes_edits_and_replays() {
    const MEMCACHED: &str = "create api --group batch --version v1alpha1 --kind Memcached --plugins deploy-image --image memcached:1.6 --image-container-port 11211 --run-as-user 1001 --make=false";
    let (_temp, dir) = project(&[INIT, CRONJOB, MEMCACHED]);
    let before = snapshot(&dir);
    let project_file = std::fs::read_to_string(dir.join("PROJECT")).expect("PROJECT");
    assert!(
        project_file.contains("deploy-image.kubesmith.dev/v1-alpha:")
            && project_file.contains("image: memcached:1.6"),
        "{project_file}"
    );
    let controller =
        std::fs::read_to_string(dir.join("src/controller/memcached.rs")).expect("the controller");
    assert!(controller.contains(".owns::<Deployment>()"), "{controller}");
    // Deleted: the plugin's record goes with the Kind; re-created: the same tree.
    kubesmith_ok(
        &dir,
        "delete api --group batch --version v1alpha1 --kind Memcached --make=false",
    );
    let (_fresh, without) = project(&[INIT, CRONJOB]);
    assert_eq!(differences(&without, &dir), Vec::<String>::new());
    kubesmith_ok(&dir, MEMCACHED);
    assert_eq!(tree_changes(&before, &snapshot(&dir)), Vec::<String>::new());
    // Another plugin added by edit: the Kind's files stay as the plugin wrote them, and a
    // replay of the whole project reproduces every file.
    kubesmith_ok(&dir, "edit --plugins grafana --make=false");
    let edited = snapshot(&dir);
    assert!(edited.contains_key(Path::new("grafana/controller-runtime-metrics.json")));
    assert_eq!(
        edited.get(Path::new("src/controller/memcached.rs")),
        before.get(Path::new("src/controller/memcached.rs"))
    );
    kubesmith_ok(&dir, "alpha generate --output ../generated");
    let generated = dir.join("../generated");
    let mut replayed = snapshot(&generated);
    replayed.remove(Path::new(".kubesmith/scaffold.sha256"));
    let mut current = edited;
    current.remove(Path::new(".kubesmith/scaffold.sha256"));
    assert_eq!(tree_changes(&current, &replayed), Vec::<String>::new());
}

#[test]
fn an_external_kinds_crate_is_a_dependency_while_the_kind_is_in_the_project() {
    const WIDGET: &str = "create api --group shop --version v1 --kind Widget --resource=false --external-api-path widgets::v1 --external-api-domain example.com --external-api-module widgets@0.3 --make=false";
    let (_temp, dir) = project(&[INIT, CRONJOB]);
    let (_fresh, without) = project(&[INIT, CRONJOB]);
    kubesmith_ok(&dir, WIDGET);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        manifest.contains("widgets = \"0.3\"\n# +kubesmith:scaffold:dependencies"),
        "{manifest}"
    );
    let with_widget = snapshot(&dir);
    kubesmith_ok(&dir, "alpha generate --output ../generated");
    let replayed =
        std::fs::read_to_string(dir.join("../generated/Cargo.toml")).expect("Cargo.toml");
    assert_eq!(replayed, manifest);
    kubesmith_ok(
        &dir,
        "delete api --group shop --version v1 --kind Widget --make=false",
    );
    assert_eq!(differences(&without, &dir), Vec::<String>::new());
    kubesmith_ok(&dir, WIDGET);
    assert_eq!(
        tree_changes(&with_widget, &snapshot(&dir)),
        Vec::<String>::new()
    );
}

/// A project as an older kubesmith scaffolded it, committed, with the user's edits (`edit`)
/// committed on top; and a stand-in for the older CLI, whose `alpha generate` writes that
/// older scaffold. The older scaffold is this one's with two template lines as the previous
/// version had them: the Dockerfile's build cache shared by every project, and no marker in
/// the Makefile's `build-installer` recipe.
fn project_of_an_older_scaffold(edit: impl Fn(&Path)) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (temp, dir) = project(&[INIT, CRONJOB]);
    let old = temp.path().join("old-scaffold");
    kubesmith_ok(&dir, &format!("alpha generate --output {}", old.display()));
    let older = |path: &str, from: &str, to: &str| {
        let text = std::fs::read_to_string(old.join(path)).expect("a scaffold file");
        assert!(text.contains(from), "{path}");
        let text = text.replace(from, to);
        std::fs::write(old.join(path), &text).expect("the older scaffold");
        std::fs::write(dir.join(path), &text).expect("the project as the older CLI made it");
    };
    older(
        "Dockerfile",
        "id=demo-cargo-target",
        "id=kubesmith-cargo-target",
    );
    older("Makefile", "# +kubesmith:scaffold:build-installer\n", "");
    git(&dir, &["init", "--quiet", "--initial-branch", "main"]);
    git(&dir, &["add", "--all"]);
    git(&dir, &["commit", "--quiet", "-m", "scaffold"]);
    edit(&dir);
    git(&dir, &["commit", "--quiet", "--all", "-m", "ours"]);
    let binary = temp.path().join("old-kubesmith");
    script(
        &binary,
        &format!(
            "#!/bin/sh\n# alpha generate --output <dir>\nset -e\nmkdir -p \"$4\"\ncp -R '{}'/. \"$4\"\n",
            old.display()
        ),
    );
    (temp, dir, binary)
}

/// Adds `line` to `path` of the project, before its first line or after its last.
fn add_line(dir: &Path, path: &str, line: &str, first: bool) {
    let text = std::fs::read_to_string(dir.join(path)).expect("a project file");
    let text = if first {
        format!("{line}\n{text}")
    } else {
        format!("{text}{line}\n")
    };
    std::fs::write(dir.join(path), text).expect("an edit");
}

/// stdout of `git <args>` in `dir`.
fn git_output(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn alpha_update_merges_the_new_scaffold_into_the_users_edits_on_a_new_branch() {
    let (_temp, dir, old) = project_of_an_older_scaffold(|dir| {
        add_line(dir, "Dockerfile", "# Built by our release pipeline.", true);
        add_line(
            dir,
            "Makefile",
            "\n.PHONY: release\nrelease: ## Ours.\n\techo release",
            false,
        );
        add_line(dir, "src/controller/cronjob.rs", "// Our note.", false);
    });
    let before = git_output(&dir, &["rev-parse", "main"]);
    let output = kubesmith_ok(
        &dir,
        &format!("alpha update --from-binary {}", old.display()),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("changed  Dockerfile"), "{stdout}");
    assert!(stdout.contains("changed  Makefile"), "{stdout}");
    assert!(!stdout.contains("CONFLICT"), "{stdout}");

    let branch = git_output(&dir, &["rev-parse", "--abbrev-ref", "HEAD"]);
    assert!(branch.starts_with("kubesmith-update-"), "{branch}");
    assert_eq!(git_output(&dir, &["status", "--porcelain"]), "");
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile");
    assert!(
        dockerfile.starts_with("# Built by our release pipeline.\n"),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("id=demo-cargo-target"), "{dockerfile}");
    assert!(
        !dockerfile.contains("id=kubesmith-cargo-target"),
        "{dockerfile}"
    );
    let makefile = std::fs::read_to_string(dir.join("Makefile")).expect("Makefile");
    assert!(makefile.contains("release: ## Ours."), "{makefile}");
    assert!(
        makefile.contains("# +kubesmith:scaffold:build-installer\n"),
        "{makefile}"
    );
    let controller =
        std::fs::read_to_string(dir.join("src/controller/cronjob.rs")).expect("the controller");
    assert!(controller.ends_with("// Our note.\n"), "{controller}");

    // The branch the update started from is as it was.
    assert_eq!(git_output(&dir, &["rev-parse", "main"]), before);
    let original = git_output(&dir, &["show", "main:Dockerfile"]);
    assert!(original.contains("id=kubesmith-cargo-target"), "{original}");

    // Another update does not overwrite the branch.
    let again = kubesmith(
        &dir,
        &format!("alpha update --from-binary {}", old.display()),
        &[],
    );
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("exists already"), "{stderr}");
}

#[test]
fn alpha_update_commits_overlapping_changes_with_conflict_markers() {
    let (_temp, dir, old) = project_of_an_older_scaffold(|dir| {
        let text = std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile");
        let text = text.replace("id=kubesmith-cargo-target", "id=our-cargo-target");
        std::fs::write(dir.join("Dockerfile"), text).expect("an edit");
    });
    let output = kubesmith_ok(
        &dir,
        &format!(
            "alpha update --from-binary {} --branch upgrade",
            old.display()
        ),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("CONFLICT  Dockerfile"), "{stdout}");
    assert!(stdout.contains("resolve the 1 conflicts"), "{stdout}");
    assert_eq!(
        git_output(&dir, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "upgrade\n"
    );
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile");
    for part in [
        "<<<<<<< yours",
        "id=our-cargo-target",
        "id=demo-cargo-target",
        ">>>>>>> kubesmith",
    ] {
        assert!(dockerfile.contains(part), "{part} missing:\n{dockerfile}");
    }
}

/// Writes an executable shell script.
fn script(path: &Path, text: &str) {
    std::fs::write(path, text).expect("a script");
    let mut permissions = std::fs::metadata(path).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(path, permissions).expect("an executable");
}

#[test]
fn alpha_update_from_a_version_installs_that_cli_once_into_the_cache() {
    let (temp, dir, old) = project_of_an_older_scaffold(|dir| {
        add_line(dir, "src/controller/cronjob.rs", "// Our note.", false);
    });
    let cache = temp.path().join("cache");
    let calls = temp.path().join("cargo-calls");
    // A stand-in for cargo: `cargo install ... --root <dir>` puts the older CLI into <dir>/bin.
    let cargo = temp.path().join("cargo");
    script(
        &cargo,
        &format!(
            "#!/bin/sh\nset -e\necho \"$*\" >> '{calls}'\nfor root; do :; done\nmkdir -p \"$root/bin\"\ncp '{old}' \"$root/bin/kubesmith\"\n",
            calls = calls.display(),
            old = old.display()
        ),
    );
    let env = [
        ("CARGO", cargo.to_str().expect("a UTF-8 path")),
        ("XDG_CACHE_HOME", cache.to_str().expect("a UTF-8 path")),
    ];

    let output = kubesmith_ok_with(&dir, "alpha update --from-version v0.0.9", &env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("changed  Dockerfile"), "{stdout}");
    let installed = cache.join("kubesmith/cli/0.0.9");
    let first = std::fs::read_to_string(&calls).expect("cargo was called");
    assert_eq!(first.lines().count(), 1, "{first}");
    assert!(
        first.starts_with("install kubesmith-cli --version =0.0.9 --locked --root "),
        "{first}"
    );
    assert!(installed.join("bin/kubesmith").is_file());

    // Another update from that version uses the cached CLI.
    git(&dir, &["checkout", "--quiet", "main"]);
    kubesmith_ok_with(
        &dir,
        "alpha update --from-version 0.0.9 --branch again",
        &env,
    );
    assert_eq!(
        std::fs::read_to_string(&calls).expect("the calls"),
        first,
        "cargo install ran again"
    );
}

#[test]
fn alpha_update_reports_a_failed_install_and_changes_nothing() {
    let (temp, dir, _old) = project_of_an_older_scaffold(|dir| {
        add_line(dir, "src/controller/cronjob.rs", "// Our note.", false);
    });
    let cache = temp.path().join("cache");
    let cargo = temp.path().join("cargo");
    script(
        &cargo,
        "#!/bin/sh\necho 'error: could not find `kubesmith-cli` in registry `crates-io` with version `=0.0.9`' >&2\nexit 101\n",
    );
    let env = [
        ("CARGO", cargo.to_str().expect("a UTF-8 path")),
        ("XDG_CACHE_HOME", cache.to_str().expect("a UTF-8 path")),
    ];
    let before = git_output(&dir, &["rev-parse", "HEAD"]);
    let output = kubesmith(&dir, "alpha update --from-version 0.0.9", &env);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--version =0.0.9 failed"), "{stderr}");
    assert!(
        stderr.contains("could not find `kubesmith-cli`"),
        "{stderr}"
    );
    assert!(stderr.contains("--from-binary"), "{stderr}");
    assert_eq!(
        git_output(&dir, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "main\n"
    );
    assert_eq!(git_output(&dir, &["rev-parse", "HEAD"]), before);
    assert_eq!(git_output(&dir, &["branch", "--list"]), "* main\n");
    // Nothing half-installed is left in the cache.
    let left: Vec<_> = std::fs::read_dir(cache.join("kubesmith/cli"))
        .expect("the cache directory")
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Without a version, PROJECT's (this CLI's own) leaves nothing to update from.
    let output = kubesmith(&dir, "alpha update", &env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no older scaffold"), "{stderr}");
}
