#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(items(max_lenght = 63))]
    pub hosts: Vec<String>,
}

fn main() {}
