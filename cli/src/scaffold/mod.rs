//! The scaffolder: `kubesmith init`, `create api` and `create webhook`, and what keeps a
//! project alive after them — `delete api`/`delete webhook`, `edit` and `alpha generate`.
//!
//! The folders are its layers, each using only those below it:
//!
//! - [`model`]: the project's record (`PROJECT`), the rules for names, the names derived for
//!   templates, and the Kinds of Kubernetes itself;
//! - [`engine`]: the embedded handlebars templates and a command's [`engine::plan::Plan`] —
//!   new files and insertions at `+kubesmith:scaffold:<name>` marker lines, in one
//!   [`engine::changes::ChangeSet`] in memory, formatted, then written: every file or none;
//! - [`plugins`]: what a project adds to the base layout (`--plugins`), each plugin in its own
//!   folder;
//! - [`layout`]: the base layout's commands, `init`, `create api` and `create webhook`, which
//!   run the plugins the project uses;
//! - [`lifecycle`]: re-scaffolding a project from its record ([`lifecycle::generate`]) and
//!   moving it from one record to another on top of the user's edits
//!   ([`lifecycle::transition`]): `delete`, `edit`, `alpha generate`;
//!
//! and, on top, the command line ([`command`]) and `make manifests` after a command ([`make`]),
//! which undoes the whole change when it fails. A command that fails, for any reason, leaves
//! the project as it was.
//!
//! ```no_run
//! use kubesmith_cli::scaffold::engine::templates::Templates;
//! use kubesmith_cli::scaffold::layout::api::{ApiOptions, create_api};
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

pub mod command;
pub mod engine;
pub mod error;
pub mod layout;
pub mod lifecycle;
pub mod make;
pub mod model;
pub mod plugins;
