//! The Greeting operator: a kubesmith manager with the standard kubebuilder flags.

use clap::Parser;
use greeting_operator::controller::{GreetingReconciler, controller};
use kubesmith::manager::{Manager, ManagerFlags};

#[derive(Parser)]
#[command(about = "Reconciles Greetings into ConfigMaps")]
struct Args {
    #[command(flatten)]
    manager: ManagerFlags,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut options = args.manager.manager_options()?;
    options.leader_election_id = "greeting-operator.demo.kubesmith.dev".into();
    let mut manager = Manager::new(kube::Client::try_default().await?, options)?;
    manager.add(controller(), GreetingReconciler::default())?;
    manager.run().await?;
    Ok(())
}
