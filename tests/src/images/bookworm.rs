//! A Debian bookworm root file system from `debootstrap --variant=minbase`, made once per
//! machine and kept as a tarball in the cache: the first layer of the rust and curl images,
//! and where the distroless image takes its time zones from. The Debian mirror is
//! `$KUBESMITH_DEBIAN_MIRROR`, else the host's bookworm mirror from its APT sources, else
//! `http://deb.debian.org/debian`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use super::images_dir;
use crate::go_tool::run;
use crate::machine::MachineLock;

/// `KUBESMITH_DEBIAN_MIRROR`: the Debian mirror debootstrap downloads from.
pub const MIRROR_ENV: &str = "KUBESMITH_DEBIAN_MIRROR";

/// The Debian release of the images.
const SUITE: &str = "bookworm";

/// The mirror when neither the environment nor the host names one.
const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// Where the host lists its APT sources.
const APT_SOURCES: &str = "/etc/apt/sources.list";
const APT_SOURCES_DIR: &str = "/etc/apt/sources.list.d";

/// The name of the root file system in a build context.
pub(super) const TARBALL: &str = "bookworm.tar";

/// The Containerfile lines that start an image from the root file system (`TARBALL` in the
/// build context), with the host's extra CA certificates (`ca-certificates/`) in place for
/// `update-ca-certificates`.
pub(super) const FROM_ROOTFS: &str = "FROM scratch\n\
ADD bookworm.tar /\n\
COPY ca-certificates/ /usr/local/share/ca-certificates/\n";

/// Where hosts keep CA certificates of their own (a TLS-intercepting proxy's, a company's).
const EXTRA_CA_CERTIFICATES: &str = "/usr/local/share/ca-certificates";

/// Puts the root file system (made first when the cache lacks it) and the host's extra CA
/// certificates into the build context `context`, for [`FROM_ROOTFS`].
pub(super) fn into_context(context: &Path) -> anyhow::Result<()> {
    let tarball = rootfs()?;
    let target = context.join(TARBALL);
    std::fs::hard_link(&tarball, &target)
        .or_else(|_| std::fs::copy(&tarball, &target).map(|_| ()))
        .with_context(|| format!("putting {} into the build context", tarball.display()))?;
    let certificates = context.join("ca-certificates");
    std::fs::create_dir_all(&certificates)?;
    for certificate in extra_ca_certificates() {
        let Some(name) = certificate.file_name() else {
            continue;
        };
        std::fs::copy(&certificate, certificates.join(name))
            .with_context(|| format!("copying {}", certificate.display()))?;
    }
    Ok(())
}

/// The host's extra CA certificates (`*.crt` under /usr/local/share/ca-certificates).
fn extra_ca_certificates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::from(EXTRA_CA_CERTIFICATES)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|entry| entry.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "crt") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The cached root file system tarball, made with debootstrap when missing.
pub(super) fn rootfs() -> anyhow::Result<PathBuf> {
    let dir = images_dir()?;
    let tarball = dir.join(format!("{SUITE}-minbase.tar"));
    if tarball.is_file() {
        return Ok(tarball);
    }
    let _lock = MachineLock::acquire(&format!("{SUITE}-rootfs"))?;
    if tarball.is_file() {
        return Ok(tarball);
    }
    let root = tempfile::tempdir_in(&dir).context("creating the debootstrap directory")?;
    let mirror = mirror();
    run(Command::new("debootstrap")
        .args(["--variant=minbase", SUITE])
        .arg(root.path())
        .arg(&mirror))
    .with_context(|| format!("debootstrap {SUITE} from {mirror}"))?;
    let partial = dir.join(format!("{SUITE}-minbase.tar.partial"));
    run(Command::new("tar")
        .arg("--numeric-owner")
        .arg("-C")
        .arg(root.path())
        .arg("-cf")
        .arg(&partial)
        .arg("."))?;
    std::fs::rename(&partial, &tarball)
        .with_context(|| format!("moving {} into place", partial.display()))?;
    Ok(tarball)
}

/// The Debian mirror to bootstrap from.
fn mirror() -> String {
    if let Some(mirror) = std::env::var(MIRROR_ENV).ok().filter(|m| !m.is_empty()) {
        return mirror;
    }
    let mut files = vec![PathBuf::from(APT_SOURCES)];
    if let Ok(entries) = std::fs::read_dir(APT_SOURCES_DIR) {
        let mut listed: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        listed.sort();
        files.extend(listed);
    }
    files
        .iter()
        .filter_map(|file| {
            let text = std::fs::read_to_string(file).ok()?;
            match file.extension().and_then(|ext| ext.to_str()) {
                Some("sources") => mirror_in_deb822(&text),
                Some("list") => mirror_in_one_line_style(&text),
                _ => None,
            }
        })
        .next()
        .unwrap_or_else(|| DEFAULT_MIRROR.to_string())
}

/// The URI of the first `deb` line for the suite in one-line-style sources
/// (`deb [options] <uri> <suite> <components>`).
fn mirror_in_one_line_style(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("deb")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(options) => options.split_once(']')?.1,
            None => rest,
        };
        let mut words = rest.split_whitespace();
        let uri = words.next()?;
        (words.next() == Some(SUITE)).then(|| uri.to_string())
    })
}

/// The first URI of the first `deb` stanza listing the suite in deb822-style sources.
fn mirror_in_deb822(text: &str) -> Option<String> {
    text.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
            })
        };
        let is_deb = field("Types")?.split_whitespace().any(|t| t == "deb");
        let has_suite = field("Suites")?.split_whitespace().any(|s| s == SUITE);
        (is_deb && has_suite)
            .then(|| field("URIs")?.split_whitespace().next().map(str::to_string))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bookworm_mirror_is_found_in_deb822_sources() {
        let sources = "Types: deb\n# a comment\nURIs: http://deb.example.org/debian\n\
                       Suites: bookworm bookworm-updates\nComponents: main\n\n\
                       Types: deb\nURIs: http://security.example.org/debian-security\n\
                       Suites: bookworm-security\n";
        assert_eq!(
            mirror_in_deb822(sources).as_deref(),
            Some("http://deb.example.org/debian")
        );
        assert_eq!(
            mirror_in_deb822("Types: deb\nURIs: http://x\nSuites: trixie\n"),
            None
        );
    }

    #[test]
    fn the_bookworm_mirror_is_found_in_one_line_sources() {
        let sources = "# deb http://old.example.org/debian bookworm main\n\
                       deb-src http://src.example.org/debian bookworm main\n\
                       deb [arch=amd64 signed-by=/k.gpg] http://deb.example.org/debian bookworm main\n";
        assert_eq!(
            mirror_in_one_line_style(sources).as_deref(),
            Some("http://deb.example.org/debian")
        );
        assert_eq!(
            mirror_in_one_line_style("deb http://x.example.org/ubuntu noble main\n"),
            None
        );
    }
}
