#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(list_type = "bag")]
    pub ports: Vec<i32>,
}

fn main() {}
