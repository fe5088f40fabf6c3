#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(items = "dns")]
    pub hosts: Vec<String>,
}

fn main() {}
