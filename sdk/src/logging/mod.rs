//! Logging for operators: one call in `main` sets up `tracing` the way controller-runtime's
//! zap flags set up a Go manager's logger.
//!
//! [`LoggingFlags`] carries `--zap-devel`, `--zap-encoder`, `--zap-log-level` and
//! `--zap-time-encoding` (it is part of [`ManagerFlags`](crate::manager::ManagerFlags));
//! [`LoggingFlags::init`] installs the logger:
//!
//! - **Format.** Development mode (the default, as in a kubebuilder project) writes console
//!   lines at level debug; `--zap-devel=false` writes JSON lines at level info. `--zap-encoder`
//!   and `--zap-log-level` override either default.
//! - **JSON lines** carry `time`, `level`, `target`, `message`, the event's and its spans'
//!   fields under `fields` and the span names under `spans`: one object per line.
//! - **Colour** only when stderr is a terminal and `NO_COLOR` is unset or empty, so
//!   `kubectl logs` shows plain text.
//! - **Per-target levels** from `RUST_LOG` (`kube=warn,my_operator=trace`) on top of the level
//!   of the flags; a bare level in `RUST_LOG` counts when `--zap-log-level` is not given.
//! - **HTTP internals** (hyper, h2, tower, kube's request layer) log at
//!   info at most, as Go's HTTP stack writes nothing to a controller-runtime logger; name them
//!   in `RUST_LOG` to trace requests (`RUST_LOG=kube_client=debug,hyper=debug`).
//! - Lines go to stderr; times are UTC.
//!
//! controller-runtime's `--zap-stacktrace-level` has no counterpart: a Rust release binary is
//! built stripped, so a captured backtrace names no functions; the span context of an event
//! (which controller, which object) is what tells where it came from.
//!
//! ```no_run
//! use clap::Parser;
//! use kubesmith::manager::ManagerFlags;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     manager: ManagerFlags,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let args = Args::parse();
//! args.manager.logging.init()?;
//! tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");
//! # Ok(()) }
//! ```

mod flags;
mod json;
mod subscriber;
mod time;

pub use flags::LoggingFlags;
pub use subscriber::{LogFormat, LogSettings, LoggingError, NO_COLOR_VAR, RUST_LOG_VAR};
pub use time::TimeEncoding;
