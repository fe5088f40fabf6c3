#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(schema_type = "text")]
    pub when: String,
}

fn main() {}
