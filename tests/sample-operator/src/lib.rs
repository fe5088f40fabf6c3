//! The sample operator: each `Greeting` gets an owned ConfigMap holding its message, and a
//! status that names the ConfigMap and says `Ready`.
//!
//! It is laid out as a scaffolded project is: the API types in [`api`] (two versions), the
//! controller's declaration and reconciler in [`controller`], the defaulting, validating and
//! conversion webhooks in [`webhook`], `main` running a manager with the standard flags, and a
//! `manifests` binary (feature `manifests`) that writes the CRD, the RBAC role and the webhook
//! configurations from the types and the declarations, offline.

pub mod api;
pub mod controller;
pub mod webhook;
