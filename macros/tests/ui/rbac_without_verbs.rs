#[derive(kubesmith_macros::Rbac)]
#[rbac(groups = ["apps"], resources = ["deployments"])]
pub struct Controller;

fn main() {}
