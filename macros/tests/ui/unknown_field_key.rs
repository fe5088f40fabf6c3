#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(minimun = 1)]
    pub replicas: i32,
}

fn main() {}
