//! What can stop a scaffolding command. Every message names the problem and the fix; nothing
//! has been written when one is returned.

use std::path::PathBuf;

/// Why a scaffolding command refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScaffoldError {
    /// A name is not usable.
    #[error("invalid {what} {value:?}: expected {expected}")]
    InvalidName {
        /// Which name (`kind`, `group`, ...).
        what: String,
        /// What was given.
        value: String,
        /// What would be accepted.
        expected: String,
    },
    /// `init` in a directory that already holds a project.
    #[error("{} already exists: this directory holds a project already; run kubesmith init in an empty directory", .0.display())]
    AlreadyInitialized(PathBuf),
    /// A command that needs a project, outside one.
    #[error("no PROJECT file in {}: run this command in a project created by kubesmith init", .0.display())]
    NotAProject(PathBuf),
    /// The PROJECT file cannot be read.
    #[error(
        "PROJECT file {path} is malformed ({reason}); correct it, or restore it from version control"
    )]
    MalformedProject {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The PROJECT file was written by a newer layout.
    #[error(
        "PROJECT layout {found:?} is not one this kubesmith knows ({known}); upgrade kubesmith"
    )]
    UnknownLayout {
        /// The layout found.
        found: String,
        /// The layout this CLI writes.
        known: &'static str,
    },
    /// The API exists already.
    #[error(
        "{kind} {group}/{version} already exists in PROJECT; use --force to scaffold its files again"
    )]
    DuplicateApi {
        /// The group.
        group: String,
        /// The version.
        version: String,
        /// The Kind.
        kind: String,
    },
    /// A webhook for an API that the project does not have.
    #[error(
        "{kind} {group}/{version} is neither an API of this project nor a Kind of Kubernetes itself: create it first with kubesmith create api"
    )]
    MissingApi {
        /// The group.
        group: String,
        /// The version.
        version: String,
        /// The Kind.
        kind: String,
    },
    /// The controller of that Kind exists.
    #[error(
        "{kind} has a controller already ({group}/{version}); pass --controller=false (or, for {version} itself, --force to scaffold it again)"
    )]
    DuplicateController {
        /// The group.
        group: String,
        /// The version that has it.
        version: String,
        /// The Kind.
        kind: String,
    },
    /// The webhook of that kind exists.
    #[error(
        "{kind} {group}/{version} already has a {which} webhook; use --force to scaffold it again"
    )]
    DuplicateWebhook {
        /// The group.
        group: String,
        /// The version.
        version: String,
        /// The Kind.
        kind: String,
        /// defaulting, validation or conversion.
        which: &'static str,
    },
    /// A conversion spoke that is not an API of the project, or the hub itself.
    #[error(
        "conversion spoke {spoke}: expected another version of {kind} in this project (it has: {known}); create {spoke} first with kubesmith create api --version {spoke} --controller=false"
    )]
    InvalidSpoke {
        /// The spoke given.
        spoke: String,
        /// The Kind.
        kind: String,
        /// The versions the Kind has.
        known: String,
    },
    /// A plugin this CLI does not know, named by `--plugins` or listed in PROJECT.
    #[error(
        "unknown plugin {name:?}: this kubesmith knows {known}; a project whose PROJECT lists another plugin needs the kubesmith that added it"
    )]
    UnknownPlugin {
        /// The name or key given.
        name: String,
        /// The plugins known, with their keys.
        known: String,
    },
    /// Options that do not go together.
    #[error("{0}")]
    Usage(String),
    /// A file exists that the command would create.
    #[error("{} exists; use --force to overwrite it", .0.display())]
    FileExists(PathBuf),
    /// Generated files changed since they were generated, which the command would delete or
    /// rewrite.
    #[error(
        "{} changed since kubesmith generated {}: {}; nothing was changed. Move your changes elsewhere, or pass --force to delete or overwrite them",
        if .0.len() == 1 { "this file" } else { "these files" },
        if .0.len() == 1 { "it" } else { "them" },
        .0.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    Edited(Vec<PathBuf>),
    /// The scaffold's change to shared files clashes with the user's edits around it.
    #[error(
        "kubesmith's change to {} clashes with your edits there (a marker line moved or removed, or lines it would change edited): {}; nothing was changed. Restore the `+kubesmith:scaffold:` markers and the generated lines, or pass --force to replace {} with the generated version",
        if .0.len() == 1 { "this file" } else { "these files" },
        .0.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", "),
        if .0.len() == 1 { "it" } else { "them" }
    )]
    Conflict(Vec<PathBuf>),
    /// A file the command edits lacks the marker it inserts at.
    #[error("{} is missing or has no `{marker}` marker line; restore it so that kubesmith knows where to add code", .path.display())]
    MissingMarker {
        /// The file.
        path: PathBuf,
        /// The marker.
        marker: String,
    },
    /// A template could not be rendered (a bug in kubesmith).
    #[error("rendering template {template}: {reason}")]
    Template {
        /// The template.
        template: String,
        /// Why.
        reason: String,
    },
    /// Reading or writing a file failed; everything written was undone.
    #[error("{action} {}: {source}; nothing was changed", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// `make manifests` failed after scaffolding; the project was restored.
    #[error(
        "`{command}` failed after scaffolding ({status}); the project was restored as it was. Fix the cause, or pass --make=false"
    )]
    Make {
        /// The command run.
        command: String,
        /// Its exit status, or why it could not start.
        status: String,
    },
}
