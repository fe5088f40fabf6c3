//! Macros for kubesmith: CRD schema markers and RBAC declarations from Rust types.
//!
//! Use them through `kubesmith` (`kubesmith::markers`, `kubesmith::Rbac`), which re-exports
//! them next to the runtime code the generated items call; the generated code names only
//! `::kubesmith`.
//!
//! - [`macro@markers`] goes above `#[derive(JsonSchema)]` on spec, status and nested types and
//!   reads `#[k8s(...)]` markers on the type and its fields.
//! - [`macro@Rbac`] turns `#[rbac(...)]` attributes into `kubesmith::rbac::RbacRules`.
//!
//! The marker vocabulary is documented on `kubesmith::schema`.

mod keys;
mod markers;
mod rbac;
mod serde_names;
mod value;

use proc_macro::TokenStream;

/// Applies `#[k8s(...)]` schema markers to a type's generated JSON schema.
///
/// Place it above `#[derive(JsonSchema)]` (and `#[derive(CustomResource)]`). It removes the
/// `#[k8s]` attributes, adds a `#[schemars(transform = ...)]` that applies them, and on the
/// struct carrying `#[kube(...)]` implements `kubesmith::schema::CustomResourceMarkers` for
/// the generated root kind (print columns of spec and status fields). An unknown marker key,
/// a value of the wrong type or an inconsistent combination is a compile error.
#[proc_macro_attribute]
pub fn markers(args: TokenStream, item: TokenStream) -> TokenStream {
    markers::expand(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `kubesmith::rbac::RbacRules` from `#[rbac(...)]` attributes.
///
/// Each attribute is one rule: `groups`, `resources`, `verbs`, `resource_names`, `urls`,
/// `namespace`. Unknown keys and rules without verbs are compile errors.
#[proc_macro_derive(Rbac, attributes(rbac))]
pub fn derive_rbac(item: TokenStream) -> TokenStream {
    rbac::expand(item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
