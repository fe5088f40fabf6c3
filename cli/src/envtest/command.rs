//! `kubesmith envtest …`: argument parsing and output.
//!
//! Results go to stdout, everything else (progress, warnings) to stderr, so
//! `KUBEBUILDER_ASSETS="$(kubesmith envtest use -p path)"` captures just the directory.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::defaults::{
    DEFAULT_GO, DEFAULT_INDEX_URL, DEFAULT_KUBERNETES_VERSION, INDEX_ENV, INSTALLED_ONLY_ENV,
    NO_GO_BUILD_ENV,
};
use super::error::Error;
use super::manager::{AssetManager, Assets, Availability, Source};
use super::platform::Platform;
use super::store::{NODE_BINARIES, Removed, Store};
use super::version::Selector;

/// Manage the control-plane binaries (etcd, kube-apiserver, kubectl) envtest runs, and on request
/// the node binaries of a real one-node cluster.
#[derive(Debug, Subcommand)]
pub enum EnvtestCommand {
    /// Make a version available (from the store, a download, or a Go build) and print where it is.
    Use(UseArgs),
    /// List installed versions and those the release index offers, newest first.
    List(ListArgs),
    /// Remove installed versions (all unless VERSION is given) and leftovers of interrupted installs.
    Cleanup(CleanupArgs),
}

/// Arguments of `envtest use`.
#[derive(Debug, Args)]
pub struct UseArgs {
    /// Kubernetes version: X.Y.Z, X.Y or X.Y.x (newest patch of that minor), or latest (the
    /// newest release in the index; offline, the newest installed).
    #[arg(default_value = DEFAULT_KUBERNETES_VERSION)]
    pub version: Selector,
    /// What to print: a summary, only the directory, or a shell `export` line.
    #[arg(short, long, value_enum, default_value_t = PrintMode::Overview)]
    pub print: PrintMode,
    /// Where binaries come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Never build with the Go toolchain when downloading is impossible.
    #[arg(long, env = NO_GO_BUILD_ENV)]
    pub no_go_build: bool,
    /// Also put the node binaries (kubelet, kube-controller-manager, kube-scheduler,
    /// kube-proxy) of the same version into the same directory. Release archives carry none:
    /// they are built with the Go toolchain from the Go module proxy (once; linux only).
    #[arg(long)]
    pub node: bool,
    /// Which store and platform.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Arguments of `envtest list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only versions matching this selector (X.Y.Z, X.Y, X.Y.x or latest = all).
    pub version: Option<Selector>,
    /// Where versions come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Which store and platform.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Arguments of `envtest cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Only versions matching this selector (X.Y.Z, X.Y, X.Y.x); all when omitted.
    pub version: Option<Selector>,
    /// Which store and platform.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// The store and the platform a command works on.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Store directory; versions live in `<bin-dir>/k8s/<X.Y.Z>-<os>-<arch>/`.
    /// [default: $XDG_DATA_HOME/kubebuilder-envtest, else ~/.local/share/kubebuilder-envtest,
    /// the store Go's setup-envtest uses]
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    /// Target OS in Go's names (linux, darwin, windows) [default: this machine's].
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// Target architecture in Go's names (amd64, arm64, ppc64le, s390x) [default: this machine's].
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
}

/// Where binaries may come from.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Only use installed versions: no network, no builds.
    #[arg(short, long, env = INSTALLED_ONLY_ENV)]
    pub installed_only: bool,
    /// URL of the release index (envtest-releases.yaml format).
    #[arg(long, value_name = "URL", env = INDEX_ENV, default_value = DEFAULT_INDEX_URL)]
    pub index: String,
}

/// Output format of `envtest use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrintMode {
    /// Version, platform, directory and where the binaries came from.
    Overview,
    /// Only the directory, for `KUBEBUILDER_ASSETS="$(…)"`.
    Path,
    /// `export KUBEBUILDER_ASSETS='…'`, for `eval` or `source`.
    Env,
}

impl EnvtestCommand {
    /// Runs the command, writing results to `out` and progress to `progress`.
    pub fn run(&self, out: &mut dyn Write, progress: &mut dyn Write) -> Result<(), crate::Error> {
        match self {
            Self::Use(args) => {
                let manager = manager(&args.target)?
                    .installed_only(args.source.installed_only)
                    .index_url(&args.source.index)
                    .go((!args.no_go_build).then(|| PathBuf::from(DEFAULT_GO)));
                let assets = if args.node {
                    manager.use_with_node(&args.version, progress)?
                } else {
                    manager.use_version(&args.version, progress)?
                };
                print_assets(&assets, args.print, out)?;
            }
            Self::List(args) => {
                let manager = manager(&args.target)?
                    .installed_only(args.source.installed_only)
                    .index_url(&args.source.index);
                for listing in manager.list(args.version.as_ref(), progress)? {
                    let availability = match listing.availability {
                        Availability::Installed
                            if manager
                                .store()
                                .has_node(&listing.version, &listing.platform) =>
                        {
                            "installed, with node binaries"
                        }
                        Availability::Installed => "installed",
                        Availability::Available => "available",
                    };
                    writeln!(
                        out,
                        "{:<10} {:<14} {availability}",
                        listing.version.to_string(),
                        listing.platform.to_string()
                    )?;
                }
            }
            Self::Cleanup(args) => {
                let manager = manager(&args.target)?;
                let removed = manager.cleanup(args.version.as_ref())?;
                if removed.is_empty() {
                    writeln!(
                        out,
                        "nothing to remove in {}",
                        manager.store().versions_dir().display()
                    )?;
                }
                for item in removed {
                    match item {
                        Removed::Version(entry) => writeln!(
                            out,
                            "removed {} ({}){}: {}",
                            entry.version,
                            entry.platform,
                            if entry.complete { "" } else { " [incomplete]" },
                            entry.path.display()
                        )?,
                        Removed::Leftover(path) => {
                            writeln!(
                                out,
                                "removed leftover of an interrupted install: {}",
                                path.display()
                            )?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn manager(target: &TargetArgs) -> Result<AssetManager, Error> {
    let store = match &target.bin_dir {
        Some(dir) => Store::new(dir),
        None => Store::user_default()?,
    };
    let host = Platform::host();
    let platform = Platform::new(
        target.os.as_deref().unwrap_or(&host.os),
        target.arch.as_deref().unwrap_or(&host.arch),
    )?;
    Ok(AssetManager::new(store).platform(platform))
}

fn print_assets(assets: &Assets, mode: PrintMode, out: &mut dyn Write) -> io::Result<()> {
    let path = assets.path.display().to_string();
    match mode {
        PrintMode::Path => writeln!(out, "{path}"),
        PrintMode::Env => writeln!(out, "export KUBEBUILDER_ASSETS={}", shell_quote(&path)),
        PrintMode::Overview => {
            writeln!(out, "Kubernetes: {}", assets.version)?;
            writeln!(out, "Platform:   {}", assets.platform)?;
            writeln!(out, "Path:       {path}")?;
            writeln!(out, "Source:     {}", describe_source(&assets.source))?;
            if let Some(node) = &assets.node {
                writeln!(
                    out,
                    "Node:       {} in the same directory, {}",
                    NODE_BINARIES.join(", "),
                    describe_source(node)
                )?;
            }
            writeln!(
                out,
                "Use it with: export KUBEBUILDER_ASSETS={}",
                shell_quote(&path)
            )
        }
    }
}

/// Where binaries came from, for the overview.
fn describe_source(source: &Source) -> String {
    match source {
        Source::Installed => "already installed".to_owned(),
        Source::Downloaded(url) => format!("downloaded from {url}"),
        Source::Built => "built with Go from the Go module proxy".to_owned(),
    }
}

/// Single-quotes `text` for POSIX shells.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("/a b/c"), "'/a b/c'");
        assert_eq!(shell_quote("/it's"), r"'/it'\''s'");
    }
}
