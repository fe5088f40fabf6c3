//! The sample operator: each `Greeting` gets an owned ConfigMap holding its message, and a
//! status that names the ConfigMap and says `Ready`.
//!
//! It is laid out as a scaffolded project is: the API types in [`api`], the controller's
//! declaration and reconciler in [`controller`], `main` running a manager with the standard
//! flags, and a `manifests` binary (feature `manifests`) that writes the CRD and the RBAC role
//! from the types and the declaration, offline.

pub mod api;
pub mod controller;
