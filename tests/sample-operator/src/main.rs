//! The Greeting operator: a kubesmith manager with the standard kubebuilder flags.

use clap::Parser;
use greeting_operator::controller::{GreetingReconciler, controller};
use greeting_operator::webhook;
use kubesmith::manager::{Manager, ManagerFlags};

#[derive(Parser)]
#[command(about = "Reconciles Greetings into ConfigMaps")]
struct Args {
    #[command(flatten)]
    manager: ManagerFlags,
    /// How many Greetings are reconciled at once.
    #[arg(long, default_value_t = kubesmith::controller::DEFAULT_MAX_CONCURRENT_RECONCILES)]
    max_concurrent_reconciles: u16,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    args.manager.logging.init()?;
    let mut options = args.manager.manager_options()?;
    options.leader_election_id = "greeting-operator.demo.kubesmith.dev".into();
    let mut manager = Manager::new(kube::Client::try_default().await?, options)?;
    manager.add(
        controller().max_concurrent_reconciles(args.max_concurrent_reconciles),
        GreetingReconciler::default(),
    )?;
    // As in kubebuilder projects: ENABLE_WEBHOOKS=false runs without webhooks (and without
    // their certificate), e.g. for `make run` outside the cluster.
    if std::env::var("ENABLE_WEBHOOKS").as_deref() != Ok("false") {
        manager.add_webhook(webhook::webhook())?;
        manager.add_conversion(webhook::conversion())?;
    }
    manager.run().await?;
    Ok(())
}
