//! The generated RBAC is enough and not more (written separately).
