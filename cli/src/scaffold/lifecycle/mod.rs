//! Living with a project after its first scaffold: the scaffold re-created from `PROJECT`
//! ([`generate`], `alpha generate`), and a project moved from one record to another on top of
//! the user's edits ([`transition`]) — by `delete api`/`delete webhook` ([`delete`]) and `edit`
//! ([`edit`]), files moving with `edit --multigroup` ([`moves`]).

pub mod delete;
pub mod edit;
pub mod generate;
pub mod moves;
pub mod transition;
