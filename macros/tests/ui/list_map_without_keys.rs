#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(list_type = "map")]
    pub ports: Vec<Port>,
}

pub struct Port {
    pub name: String,
}

fn main() {}
