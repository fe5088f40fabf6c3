#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(unique_items)]
    pub args: Vec<String>,
}

fn main() {}
