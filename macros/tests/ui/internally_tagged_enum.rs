#[kubesmith_macros::markers]
#[serde(tag = "type")]
pub enum Source {
    Git { url: String },
    Image { name: String },
}

fn main() {}
