//! How a command changes files: the embedded templates ([`templates`]) and the insertions
//! beside them ([`insertions`]), a command's plan ([`plan`]) of new files and insertions at
//! marker lines, held in memory as one change set
//! ([`changes`]) with the checksums of what was generated ([`checksums`]), formatted once and
//! written all at once; and reading a project's files ([`tree`]).

pub mod changes;
pub mod checksums;
pub mod insertions;
pub mod plan;
pub mod templates;
pub mod tree;
