#[kubesmith_macros::markers]
#[k8s(exactly_one_off(a, b))]
pub struct Spec {
    pub a: Option<i32>,
    pub b: Option<i32>,
}

fn main() {}
