#[kubesmith_macros::markers]
#[k8s(subresource_status)]
pub struct NotAKind {
    pub count: i64,
}

fn main() {}
