#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(min_length = "3")]
    pub name: String,
}

fn main() {}
