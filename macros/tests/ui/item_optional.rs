#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(items(optional))]
    pub hosts: Vec<String>,
}

fn main() {}
