//! The project-multigroup manager: runs the controllers (and webhooks) of this operator with the
//! standard kubebuilder flags (`--help` lists them).

use clap::Parser;
use kubesmith::healthz;
use kubesmith::manager::{Manager, ManagerFlags};

use project_multigroup::controller;
use project_multigroup::webhook;
// +kubesmith:scaffold:imports

/// The manager's command line.
#[derive(Debug, Parser)]
#[command(about = "The project-multigroup operator", version)]
struct Args {
    /// The flags of every kubesmith manager: metrics, probes, leader election, webhook
    /// certificates, logging.
    #[command(flatten)]
    manager: ManagerFlags,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    args.manager.logging.init()?;
    let mut options = args.manager.manager_options()?;
    options.leader_election_id = "project-multigroup.testproject.org".into();
    let mut manager = Manager::new(kube::Client::try_default().await?, options)?;
    manager.add_healthz_check("ping", healthz::ping)?;
    manager.add_readyz_check("ping", healthz::ping)?;
    controller::crew::captain::setup(&mut manager)?;
    controller::ship::frigate::setup(&mut manager)?;
    controller::ship::destroyer::setup(&mut manager)?;
    // `make run` serves the webhooks from this machine (--webhook-local: the cluster's webhook
    // configurations point here while it runs); ENABLE_WEBHOOKS=false runs without them.
    if std::env::var("ENABLE_WEBHOOKS").as_deref() != Ok("false") {
        webhook::ship::v1beta1::frigate::setup(&mut manager)?;
        // +kubesmith:scaffold:webhooks
    }
    // +kubesmith:scaffold:builder
    manager.run().await?;
    Ok(())
}
