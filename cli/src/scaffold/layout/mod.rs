//! The base layout's commands: `init` ([`init`]), `create api` ([`api`]) and `create webhook`
//! ([`webhook`]), with the end-to-end suite's part of them ([`e2e`]). Each plans its files
//! and runs the plugins the project uses into the same plan.

pub mod api;
pub mod e2e;
pub mod init;
pub mod webhook;
