//! What a project is: its record (`PROJECT`, [`project`]), the rules its names follow
//! ([`names`]), the names derived from them for the templates ([`vars`]), and the Kinds of
//! Kubernetes itself a project can have controllers and webhooks for ([`core_kinds`]).

pub mod core_kinds;
pub mod names;
pub mod project;
pub mod vars;
