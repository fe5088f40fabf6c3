//! Fetching the release index and release archives over HTTP(S), verifying archives against the
//! index's SHA-512 before anything is extracted, and unpacking them into the store.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha512};

use super::error::Error;
use super::index::{Index, Release};
use super::platform::Platform;
use super::store::{BINARIES, BinarySet, Store};

/// How long resolving a host name or opening a connection may take. Short, so that a machine
/// without network access fails over to building from source quickly.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the server may stay silent (waiting for the response, or between reads of the body)
/// before the transfer is abandoned.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest index accepted (the real one is a few tens of kilobytes).
const MAX_INDEX_BYTES: u64 = 16 << 20;

/// The largest archive accepted (real ones are around 100 MB).
const MAX_ARCHIVE_BYTES: u64 = 2 << 30;

/// The directory inside release archives that holds the binaries.
const ARCHIVE_DIR: [&str; 2] = ["controller-tools", "envtest"];

/// An HTTP client configured for envtest downloads.
#[derive(Debug, Clone)]
pub struct Downloader {
    agent: ureq::Agent,
}

impl Default for Downloader {
    fn default() -> Self {
        Self::new()
    }
}

impl Downloader {
    /// A client with [`CONNECT_TIMEOUT`] and [`STALL_TIMEOUT`]; proxies come from the usual
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` variables.
    #[must_use]
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_resolve(Some(CONNECT_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(STALL_TIMEOUT))
            .timeout_per_read(Some(STALL_TIMEOUT))
            .user_agent(concat!("kubesmith/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.into(),
        }
    }

    /// Downloads and parses the release index at `url`.
    pub fn fetch_index(&self, url: &str) -> Result<Index, Error> {
        let text = self
            .agent
            .get(url)
            .call()
            .and_then(|mut response| {
                response
                    .body_mut()
                    .with_config()
                    .limit(MAX_INDEX_BYTES)
                    .read_to_string()
            })
            .map_err(|e| http_error(url, e))?;
        Index::parse(&text, url)
    }

    /// Downloads `release`, verifies its SHA-512, extracts it and installs it into `store`.
    /// Returns the version directory.
    ///
    /// On any failure the staging directory is removed, so nothing is left in the store.
    pub fn install(
        &self,
        release: &Release,
        store: &Store,
        progress: &mut dyn Write,
    ) -> Result<PathBuf, Error> {
        let staging = store.stage(release.version, &release.platform, BinarySet::ControlPlane)?;
        let archive = staging.scratch().join(&release.archive);
        let _ = writeln!(progress, "envtest: downloading {}", release.url);
        let actual = self.download(&release.url, &archive)?;
        if actual != release.sha512 {
            return Err(Error::HashMismatch {
                url: release.url.clone(),
                expected: release.sha512.clone(),
                actual,
            });
        }
        let _ = writeln!(progress, "envtest: SHA-512 verified, extracting");
        extract(
            &archive,
            &staging.assets(),
            &release.platform,
            &release.archive,
        )?;
        store.commit(staging)
    }

    /// Streams `url` into the file `dest`, returning the SHA-512 (lowercase hex) of the bytes.
    fn download(&self, url: &str, dest: &Path) -> Result<String, Error> {
        let mut response = self.agent.get(url).call().map_err(|e| http_error(url, e))?;
        let mut body = response
            .body_mut()
            .with_config()
            .limit(MAX_ARCHIVE_BYTES)
            .reader();
        let mut file = File::create(dest).map_err(|e| Error::io("create", dest, e))?;
        let mut hasher = Sha512::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(http_error(url, ureq::Error::Io(e))),
            };
            hasher.update(&buffer[..read]);
            file.write_all(&buffer[..read])
                .map_err(|e| Error::io("write", dest, e))?;
        }
        Ok(hex::encode(hasher.finalize()))
    }
}

fn http_error(url: &str, source: ureq::Error) -> Error {
    Error::Http {
        url: url.to_owned(),
        source: Box::new(source),
    }
}

/// Unpacks the binaries of a release archive into `dest`.
///
/// The archive must hold exactly `controller-tools/envtest/{etcd,kube-apiserver,kubectl}`
/// (with `.exe` on Windows) as regular files, plus optionally the two directory entries above
/// them. Anything else (other files, links, paths outside that directory) is refused.
pub fn extract(archive: &Path, dest: &Path, platform: &Platform, name: &str) -> Result<(), Error> {
    let invalid = |problem: String| Error::InvalidArchive {
        archive: name.to_owned(),
        problem,
    };
    let file = File::open(archive).map_err(|e| Error::io("open", archive, e))?;
    let mut tar = tar::Archive::new(GzDecoder::new(BufReader::new(file)));
    let expected: Vec<String> = BINARIES
        .iter()
        .map(|binary| platform.executable_name(binary))
        .collect();
    let mut found = BTreeSet::new();
    let entries = tar
        .entries()
        .map_err(|e| invalid(format!("not a gzip-compressed tar file ({e})")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| invalid(format!("not a readable gzip-compressed tar file ({e})")))?;
        let path = entry
            .path()
            .map_err(|e| invalid(format!("an entry has an unreadable path ({e})")))?
            .into_owned();
        let parts = path_parts(&path);
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        if kind.is_dir() && !parts.is_empty() && is_prefix_of_archive_dir(&parts) {
            continue;
        }
        let binary = match parts.split_last() {
            Some((file, dir)) if *dir == ARCHIVE_DIR && expected.contains(file) => file.clone(),
            _ => {
                return Err(invalid(format!(
                    "found unexpected entry `{}`",
                    path.display()
                )));
            }
        };
        if !kind.is_file() {
            return Err(invalid(format!(
                "found `{}` as a {kind:?} entry, not a regular file",
                path.display()
            )));
        }
        if !found.insert(binary.clone()) {
            return Err(invalid(format!("found `{}` twice", path.display())));
        }
        let target = dest.join(&binary);
        let mut out = File::create(&target).map_err(|e| Error::io("create", &target, e))?;
        io::copy(&mut entry, &mut out).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidData || e.kind() == io::ErrorKind::UnexpectedEof {
                invalid(format!(
                    "`{}` is truncated or corrupt ({e})",
                    path.display()
                ))
            } else {
                Error::io("write", &target, e)
            }
        })?;
    }
    let missing: Vec<String> = expected
        .iter()
        .filter(|binary| !found.contains(*binary))
        .map(|binary| format!("controller-tools/envtest/{binary}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!("missing {}", missing.join(", "))))
    }
}

/// Whether `parts` is `controller-tools` or `controller-tools/envtest`.
fn is_prefix_of_archive_dir(parts: &[String]) -> bool {
    parts.len() <= ARCHIVE_DIR.len() && parts.iter().zip(ARCHIVE_DIR).all(|(a, b)| a == b)
}

/// The normal components of an archive path as strings; `..`, absolute roots and non-UTF-8
/// names become markers that never match the expected layout.
fn path_parts(path: &Path) -> Vec<String> {
    path.components()
        .filter(|component| !matches!(component, Component::CurDir))
        .map(|component| match component {
            Component::Normal(part) => part.to_str().unwrap_or("\u{fffd}").to_owned(),
            _ => "..".to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    fn linux() -> Platform {
        Platform::new("linux", "amd64").expect("valid")
    }

    /// Builds a .tar.gz from (path, kind, contents) entries.
    fn archive(entries: &[(&str, tar::EntryType, &[u8])]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("tempfile");
        let mut builder = tar::Builder::new(GzEncoder::new(
            file.reopen().expect("reopen"),
            Compression::fast(),
        ));
        for (path, kind, contents) in entries {
            // Raw name bytes, so that hostile paths (`..`, absolute) can be written too.
            let mut header = tar::Header::new_old();
            header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o755);
            header.set_size(contents.len() as u64);
            if kind.is_symlink() {
                header.set_link_name("/etc/passwd").expect("link name");
            }
            header.set_cksum();
            builder.append(&header, *contents).expect("append");
        }
        builder
            .into_inner()
            .expect("finish tar")
            .finish()
            .expect("finish gzip");
        file
    }

    fn good_entries() -> Vec<(&'static str, tar::EntryType, &'static [u8])> {
        vec![
            ("controller-tools/envtest/", tar::EntryType::Directory, b""),
            (
                "controller-tools/envtest/etcd",
                tar::EntryType::Regular,
                b"etcd",
            ),
            (
                "controller-tools/envtest/kube-apiserver",
                tar::EntryType::Regular,
                b"apiserver",
            ),
            (
                "controller-tools/envtest/kubectl",
                tar::EntryType::Regular,
                b"kubectl",
            ),
        ]
    }

    fn extract_entries(
        entries: &[(&str, tar::EntryType, &[u8])],
    ) -> (tempfile::TempDir, Result<(), Error>) {
        let file = archive(entries);
        let dest = tempfile::tempdir().expect("tempdir");
        let result = extract(file.path(), dest.path(), &linux(), "test.tar.gz");
        (dest, result)
    }

    #[test]
    fn the_release_layout_is_flattened_into_the_destination() {
        let (dest, result) = extract_entries(&good_entries());
        result.expect("extract");
        assert_eq!(
            std::fs::read(dest.path().join("etcd")).expect("etcd"),
            b"etcd"
        );
        assert_eq!(
            std::fs::read(dest.path().join("kube-apiserver")).expect("apiserver"),
            b"apiserver"
        );
        assert_eq!(
            std::fs::read(dest.path().join("kubectl")).expect("kubectl"),
            b"kubectl"
        );
    }

    #[test]
    fn a_missing_binary_is_named() {
        let mut entries = good_entries();
        entries.pop();
        let (_dest, result) = extract_entries(&entries);
        let message = result.expect_err("missing kubectl").to_string();
        assert!(
            message.contains("missing controller-tools/envtest/kubectl"),
            "{message}"
        );
    }

    #[test]
    fn entries_outside_the_layout_are_refused() {
        for bad in [
            "controller-tools/envtest/kube-scheduler",
            "kubebuilder/bin/etcd",
            "../etcd",
            "/controller-tools/envtest/etcd/../../../x",
            "etcd",
        ] {
            let mut entries = good_entries();
            entries.push((bad, tar::EntryType::Regular, b"x"));
            let (_dest, result) = extract_entries(&entries);
            let message = result.expect_err(bad).to_string();
            assert!(message.contains("unexpected entry"), "{bad}: {message}");
        }
    }

    #[test]
    fn links_and_duplicates_are_refused() {
        let mut entries = good_entries();
        entries[1] = (
            "controller-tools/envtest/etcd",
            tar::EntryType::Symlink,
            b"",
        );
        let (_dest, result) = extract_entries(&entries);
        assert!(
            result
                .expect_err("symlink")
                .to_string()
                .contains("not a regular file")
        );

        let mut entries = good_entries();
        entries.push((
            "controller-tools/envtest/etcd",
            tar::EntryType::Regular,
            b"again",
        ));
        let (_dest, result) = extract_entries(&entries);
        assert!(result.expect_err("duplicate").to_string().contains("twice"));
    }

    #[test]
    fn bytes_that_are_not_a_tar_gz_are_refused() {
        let file = tempfile::NamedTempFile::new().expect("tempfile");
        std::fs::write(file.path(), b"<html>not found</html>").expect("write");
        let dest = tempfile::tempdir().expect("tempdir");
        let err = extract(file.path(), dest.path(), &linux(), "x.tar.gz").expect_err("not gzip");
        assert!(err.to_string().contains("gzip-compressed tar"), "{err}");
    }
}
