#[kubesmith_macros::markers]
pub enum Source {
    None,
    Git { url: String },
}

fn main() {}
