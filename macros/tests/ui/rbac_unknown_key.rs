#[derive(kubesmith_macros::Rbac)]
#[rbac(groups = ["apps"], resource = ["deployments"], verbs = ["get"])]
pub struct Controller;

fn main() {}
