//! Owner references: which object controls which.
//!
//! A controller reference (`controller: true`) makes the owner's controller reconcile the
//! owner when the child changes, and garbage collection delete the child with its owner.
//!
//! ```
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kubesmith::owner::set_controller_reference;
//!
//! let mut owner = ConfigMap::default();
//! owner.metadata.name = Some("parent".into());
//! owner.metadata.uid = Some("1234".into());
//! let mut child = ConfigMap::default();
//! set_controller_reference(&owner, &mut child).unwrap();
//! assert_eq!(child.metadata.owner_references.unwrap()[0].controller, Some(true));
//! ```

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;

/// Why an owner reference could not be set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OwnerError {
    /// The owner has no name or uid yet (it was not read from the API server).
    #[error("the owner has no name or uid; expected an object read from the API server")]
    OwnerNotPersisted,
    /// The child is already controlled by another object.
    #[error("object is already controlled by {kind} {name}; expected no other controller")]
    AlreadyControlled {
        /// Kind of the existing controller.
        kind: String,
        /// Name of the existing controller.
        name: String,
    },
}

/// Makes `owner` the controller of `child` (replacing a reference to the same owner).
/// Fails when another object already controls `child`.
pub fn set_controller_reference<O, C>(owner: &O, child: &mut C) -> Result<(), OwnerError>
where
    O: Resource<DynamicType = ()>,
    C: Resource,
{
    let reference = owner
        .controller_owner_ref(&())
        .ok_or(OwnerError::OwnerNotPersisted)?;
    upsert(child, reference, true)
}

/// Adds `owner` as a non-controller owner of `child` (garbage collection only).
pub fn set_owner_reference<O, C>(owner: &O, child: &mut C) -> Result<(), OwnerError>
where
    O: Resource<DynamicType = ()>,
    C: Resource,
{
    let reference = owner.owner_ref(&()).ok_or(OwnerError::OwnerNotPersisted)?;
    upsert(child, reference, false)
}

fn upsert<C: Resource>(
    child: &mut C,
    reference: OwnerReference,
    controller: bool,
) -> Result<(), OwnerError> {
    let references = child
        .meta_mut()
        .owner_references
        .get_or_insert_with(Vec::new);
    if controller
        && let Some(other) = references
            .iter()
            .find(|r| r.controller == Some(true) && r.uid != reference.uid)
    {
        return Err(OwnerError::AlreadyControlled {
            kind: other.kind.clone(),
            name: other.name.clone(),
        });
    }
    references.retain(|r| r.uid != reference.uid);
    references.push(reference);
    Ok(())
}

/// Whether `owner` is the controller of `child`.
pub fn is_controlled_by<O: Resource, C: Resource>(owner: &O, child: &C) -> bool {
    let uid = owner.meta().uid.as_deref();
    uid.is_some()
        && child
            .meta()
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.controller == Some(true) && Some(r.uid.as_str()) == uid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn object(name: &str, uid: &str) -> ConfigMap {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.into());
        cm.metadata.uid = Some(uid.into());
        cm
    }

    #[test]
    fn a_second_controller_is_refused_and_the_same_one_is_idempotent() {
        let (a, b) = (object("a", "1"), object("b", "2"));
        let mut child = ConfigMap::default();
        set_controller_reference(&a, &mut child).expect("first");
        set_controller_reference(&a, &mut child).expect("again");
        assert_eq!(
            child.metadata.owner_references.as_ref().map(Vec::len),
            Some(1)
        );
        assert!(is_controlled_by(&a, &child));
        let refused = set_controller_reference(&b, &mut child);
        assert_eq!(
            refused,
            Err(OwnerError::AlreadyControlled {
                kind: "ConfigMap".into(),
                name: "a".into()
            })
        );
        set_owner_reference(&b, &mut child).expect("plain owner");
        assert!(!is_controlled_by(&b, &child));
        assert_eq!(
            set_controller_reference(&ConfigMap::default(), &mut child),
            Err(OwnerError::OwnerNotPersisted)
        );
    }
}
