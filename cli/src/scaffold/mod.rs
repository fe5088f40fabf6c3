//! The scaffolder: `kubesmith init`, `create api` and `create webhook`, and what keeps a
//! project alive after them — `delete api`/`delete webhook`, `edit` and `alpha generate`,
//! which re-scaffold the project from its record ([`generate`]) and move it from one record to
//! another on top of the user's edits ([`transition`]).
//!
//! Each command reads the project's [`project::Project`] record, checks every name and option
//! ([`names`]), renders the embedded handlebars [`templates`] into a
//! [`changes::ChangeSet`] in memory — new files, and insertions at
//! `+kubesmith:scaffold:<name>` marker lines of existing ones — and only then writes: every
//! file or none, and a failed `make manifests` afterwards undoes the whole change. A command
//! that fails, for any reason, leaves the project as it was.
//!
//! ```no_run
//! use kubesmith_cli::scaffold::api::{ApiOptions, create_api};
//! use kubesmith_cli::scaffold::templates::Templates;
//!
//! let options = ApiOptions {
//!     group: "batch".into(),
//!     version: "v1".into(),
//!     kind: "CronJob".into(),
//!     plural: None,
//!     namespaced: true,
//!     resource: true,
//!     controller: true,
//!     external: None,
//!     controller_name: None,
//!     plugins: Default::default(),
//!     force: false,
//! };
//! let applied = create_api(std::path::Path::new("."), &options, &Templates::new())?;
//! println!("{:?}", applied.written());
//! # Ok::<(), kubesmith_cli::scaffold::error::ScaffoldError>(())
//! ```

pub mod api;
pub mod changes;
pub mod checksums;
pub mod command;
pub mod core_kinds;
pub mod delete;
pub mod e2e;
pub mod edit;
pub mod error;
pub mod generate;
pub mod init;
pub mod make;
pub mod moves;
pub mod names;
pub mod plan;
pub mod plugins;
pub mod project;
pub mod templates;
pub mod transition;
pub mod tree;
pub mod vars;
pub mod webhook;
