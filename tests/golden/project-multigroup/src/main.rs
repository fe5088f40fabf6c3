//! The project-multigroup manager: runs [`project_multigroup::operator`] with the standard kubebuilder
//! flags (`--help` lists them). `ENABLE_WEBHOOKS=false` runs it without its webhooks.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    kubesmith::operator::run(project_multigroup::operator()).await
}
