//! Derive macros for kubesmith.
//!
//! This crate will hold the field markers that turn Rust types into CRD schemas (validation,
//! defaults, print columns, list types, CEL rules) and the RBAC declarations of controllers.
//! It exports no macros yet; see the project's issue tracker for the marker vocabulary.
