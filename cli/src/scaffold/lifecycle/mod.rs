//! Living with a project after its first scaffold: the scaffold re-created from `PROJECT`
//! ([`generate`], `alpha generate`), and a project moved from one record to another on top of
//! the user's edits ([`transition`]) — by `delete api`/`delete webhook` ([`delete`]) and `edit`
//! ([`edit`]), files moving with `edit --multigroup` ([`moves`]); and a project moved to a
//! newer CLI's scaffold by a three-way merge on a git branch ([`update`], `alpha update`,
//! with the older CLI from [`older_cli`]).

pub mod delete;
pub mod edit;
pub mod generate;
pub mod merge;
pub mod moves;
pub mod older_cli;
pub mod transition;
pub mod update;
