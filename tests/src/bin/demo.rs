//! The README's first command: the sample Greeting operator on kubesmith's manager against a
//! local envtest control plane (binaries from `KUBEBUILDER_ASSETS`).

use std::time::{Duration, Instant};

use kubesmith::envtest::Environment;
use kubesmith_e2e::demo;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let started = Instant::now();
    let step = |what: String| println!("[{:>5.1}s] {what}", started.elapsed().as_secs_f64());
    let env = Environment::start().await?;
    step(format!("control plane ready at {}", env.server_url()));
    if let Some(kubeconfig) = env.kubeconfig_path() {
        step(format!("admin kubeconfig: {}", kubeconfig.display()));
    }
    let outcome = demo::run(&env, "default", Duration::from_secs(30), step).await;
    env.stop().await;
    outcome?;
    step("control plane stopped".into());
    Ok(())
}
