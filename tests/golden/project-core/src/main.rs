//! The project-core manager: runs [`project_core::operator`] with the standard kubebuilder
//! flags (`--help` lists them). `ENABLE_WEBHOOKS=false` runs it without its webhooks.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    kubesmith::operator::run(project_core::operator()).await
}
