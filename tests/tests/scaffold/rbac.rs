//! The generated RBAC is enough and not more (written separately).

#[test]
fn rbac_scaffold_only() {
    let project = super::single_group();
    println!("{}", project.path().display());
}
