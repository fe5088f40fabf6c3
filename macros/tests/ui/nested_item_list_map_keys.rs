#[kubesmith_macros::markers]
pub struct Spec {
    #[k8s(items(items(list_type = "map")))]
    pub grid: Vec<Vec<String>>,
}

fn main() {}
