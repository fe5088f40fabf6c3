#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(items(max_length = 63))]
    pub host: Option<String>,
}

fn main() {}
