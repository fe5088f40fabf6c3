//! The Greeting operator: a kubesmith manager with the standard kubebuilder flags and one of
//! its own.

use clap::Parser;
use kubesmith::manager::ManagerFlags;

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
    greeting_operator::operator(args.max_concurrent_reconciles)
        .run_with(&args.manager)
        .await
}
