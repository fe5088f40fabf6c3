#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(values(minimum = 1))]
    pub ports: Vec<i32>,
}

fn main() {}
