#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(maximum = "ten")]
    pub replicas: i32,
}

fn main() {}
