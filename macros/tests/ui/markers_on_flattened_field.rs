#[kubesmith_macros::markers]
pub struct Spec {
    #[serde(flatten)]
    #[k8s(min_properties = 1)]
    pub common: Common,
}

pub struct Common {
    pub a: i32,
}

fn main() {}
