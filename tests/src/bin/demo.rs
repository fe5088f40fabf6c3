//! The README's first command: a sample controller reconciling a sample object on a local
//! envtest control plane (binaries from `KUBEBUILDER_ASSETS`).

use std::time::{Duration, Instant};

use kubesmith::envtest::Environment;
use kubesmith_e2e::sample;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let started = Instant::now();
    let env = Environment::start().await?;
    eprintln!(
        "control plane ready at {} in {:.1?}",
        env.server_url(),
        started.elapsed()
    );
    if let Some(kubeconfig) = env.kubeconfig_path() {
        eprintln!("admin kubeconfig: {}", kubeconfig.display());
    }
    let outcome = sample::run(&env, "default", Duration::from_secs(30)).await;
    env.stop().await;
    let outcome = outcome?;
    let message = outcome
        .config_map
        .data
        .as_ref()
        .and_then(|data| data.get("message"))
        .cloned()
        .unwrap_or_default();
    println!(
        "Greeting default/hello reconciled: ConfigMap {} says {message:?} (observedGeneration {})",
        outcome.status.config_map.unwrap_or_default(),
        outcome.status.observed_generation.unwrap_or_default(),
    );
    println!("done in {:.1?}; control plane stopped", started.elapsed());
    Ok(())
}
