#[kubesmith_macros::markers]
#[k8s(pattern = "^[a-z]+$", optional)]
pub struct Name(pub String);

fn main() {}
