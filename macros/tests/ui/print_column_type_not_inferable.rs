#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(print_column)]
    pub limits: std::collections::BTreeMap<String, String>,
}

fn main() {}
