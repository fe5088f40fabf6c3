//! The README's first command: scaffold a sample operator with the `kubesmith` CLI into a
//! temporary directory, build it, start a local envtest control plane (binaries from
//! `KUBEBUILDER_ASSETS`), install its CRD, run it with `make run`, apply its sample and show
//! it reconciled to `Ready`.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kubesmith::envtest::Environment;
use kubesmith_e2e::scaffolded::{Background, Scaffold, check_success, target_dir};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let step = |what: &str| println!("[{:>6.1}s] {what}", started.elapsed().as_secs_f64());

    let project = Scaffold::init(&["--domain", "example.com", "--project-name", "guestbook"])?;
    project.kubesmith(&[
        "create",
        "api",
        "--group",
        "webapp",
        "--version",
        "v1",
        "--kind",
        "Guestbook",
        "--make=false",
    ])?;
    step(&format!(
        "scaffolded with kubesmith init and create api: {}",
        project.path().display()
    ));

    step(&format!(
        "building it into {} (the first build compiles the dependencies: minutes on 2 cores)",
        target_dir().display()
    ));
    let built = project
        .command(kubesmith_e2e::scaffolded::cargo())
        .args(["build", "--features", "manifests", "--bins"])
        .status()
        .context("running cargo build")?;
    if !built.success() {
        bail!("cargo build failed ({built})");
    }
    let manifests = project.make(&["manifests"], &[])?;
    check_success("make manifests", &manifests)?;
    step("built; make manifests wrote config/crd/bases and config/rbac/role.yaml");

    let env = Environment::start().await?;
    let kubeconfig = env
        .kubeconfig_path()
        .context("the control plane has no kubeconfig")?
        .to_path_buf();
    step(&format!("control plane ready at {}", env.server_url()));
    let kubectl = kubectl();
    let make_env = [
        ("KUBECONFIG", kubeconfig.as_path()),
        ("KUBECTL", kubectl.as_path()),
    ];
    check_success("make install", &project.make(&["install"], &make_env)?)?;
    step("make install: CRD guestbooks.webapp.example.com installed");

    let probes = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut run = project.command("make");
    run.args([
        "run".to_string(),
        format!("ARGS=--metrics-bind-address=0 --health-probe-bind-address={probes}"),
    ])
    .env("CARGO", kubesmith_e2e::scaffolded::cargo())
    .env("KUBECONFIG", &kubeconfig)
    .env("KUBECTL", &kubectl);
    let mut manager = Background::start(run, project.file("make-run.log"))?;
    step("make run: the manager runs against the control plane");

    let mut apply = env.kubectl()?;
    apply
        .args(["apply", "-f"])
        .arg(project.file("config/samples/webapp_v1_guestbook.yaml"));
    check_success("kubectl apply", &apply.output()?)?;
    step(
        "kubectl apply -f config/samples/webapp_v1_guestbook.yaml: Guestbook default/guestbook-sample created",
    );

    let gvk = GroupVersionKind::gvk("webapp.example.com", "v1", "Guestbook");
    let guestbooks: Api<DynamicObject> =
        Api::namespaced_with(env.client()?, "default", &ApiResource::from_gvk(&gvk));
    let deadline = Instant::now() + Duration::from_secs(120);
    let ready = loop {
        let sample = guestbooks.get("guestbook-sample").await?;
        let ready = sample.data["status"]["conditions"]
            .as_array()
            .and_then(|conditions| conditions.iter().find(|c| c["type"] == "Ready"))
            .filter(|condition| condition["status"] == "True")
            .cloned();
        if let Some(ready) = ready {
            break ready;
        }
        if let Some(status) = manager.exited() {
            bail!("the manager exited ({status}):\n{}", manager.output());
        }
        if Instant::now() > deadline {
            bail!(
                "not Ready after 120 s; the manager said:\n{}",
                manager.output()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    step(&format!(
        "reconciled: Ready={} reason={} message={:?} observedGeneration={}",
        ready["status"].as_str().unwrap_or_default(),
        ready["reason"].as_str().unwrap_or_default(),
        ready["message"].as_str().unwrap_or_default(),
        ready["observedGeneration"]
    ));

    manager.stop(Duration::from_secs(10));
    env.stop().await;
    step("manager and control plane stopped; the project directory is removed");
    Ok(())
}

/// kubectl from `KUBEBUILDER_ASSETS` (envtest's assets carry one), else from `PATH`.
fn kubectl() -> std::path::PathBuf {
    std::env::var_os("KUBEBUILDER_ASSETS")
        .map(|dir| std::path::PathBuf::from(dir).join("kubectl"))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| "kubectl".into())
}
