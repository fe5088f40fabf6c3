//! The release index: controller-tools' `envtest-releases.yaml`.
//!
//! The file maps each release tag to its archives, one per platform, each with the SHA-512 of
//! the archive and the URL it is downloaded from:
//!
//! ```yaml
//! releases:
//!   v1.37.2:
//!     envtest-v1.37.2-linux-amd64.tar.gz:
//!       hash: <128 hex digits, SHA-512 of the archive>
//!       selfLink: https://…/envtest-v1.37.2-linux-amd64.tar.gz
//! ```
//!
//! Pre-release tags and archives whose names do not follow
//! `envtest-v<X.Y.Z>-<os>-<arch>.tar.gz` are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::Error;
use super::platform::Platform;
use super::version::{Selector, Version};

/// One downloadable archive: a Kubernetes version for one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The Kubernetes version.
    pub version: Version,
    /// The platform the binaries are built for.
    pub platform: Platform,
    /// The archive's file name, `envtest-v<X.Y.Z>-<os>-<arch>.tar.gz`.
    pub archive: String,
    /// Where to download it (`selfLink`).
    pub url: String,
    /// The SHA-512 of the archive, lowercase hex.
    pub sha512: String,
}

/// A parsed release index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Index {
    releases: Vec<Release>,
}

#[derive(Deserialize)]
struct RawIndex {
    releases: BTreeMap<String, Option<BTreeMap<String, RawArchive>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArchive {
    hash: String,
    self_link: String,
}

impl Index {
    /// Parses the YAML text of an index fetched from `url` (used in error messages).
    pub fn parse(text: &str, url: &str) -> Result<Self, Error> {
        let raw: RawIndex = serde_saphyr::from_str(text).map_err(|source| Error::IndexParse {
            url: url.to_owned(),
            source: Box::new(source),
        })?;
        let mut releases = Vec::new();
        for (tag, archives) in raw.releases {
            let Ok(version) = tag.parse::<Version>() else {
                continue;
            };
            for (archive, raw) in archives.into_iter().flatten() {
                let Some(platform) = archive_platform(&archive, &version) else {
                    continue;
                };
                let sha512 = raw.hash.trim().to_ascii_lowercase();
                if sha512.len() != 128 || !sha512.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Error::IndexHash {
                        archive,
                        hash: raw.hash,
                    });
                }
                releases.push(Release {
                    version,
                    platform,
                    archive,
                    url: raw.self_link,
                    sha512,
                });
            }
        }
        releases.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then_with(|| a.platform.cmp(&b.platform))
        });
        Ok(Self { releases })
    }

    /// The releases for `platform`, newest first.
    pub fn for_platform<'a>(
        &'a self,
        platform: &Platform,
    ) -> impl Iterator<Item = &'a Release> + use<'a> {
        let platform = platform.clone();
        self.releases
            .iter()
            .filter(move |release| release.platform == platform)
    }

    /// The newest release for `platform` that `selector` accepts.
    #[must_use]
    pub fn newest(&self, selector: &Selector, platform: &Platform) -> Option<&Release> {
        self.for_platform(platform)
            .find(|release| selector.matches(&release.version))
    }
}

/// The archive file name for a release: `envtest-v1.37.2-linux-amd64.tar.gz`.
#[must_use]
pub fn archive_name(version: &Version, platform: &Platform) -> String {
    format!(
        "envtest-v{version}-{}-{}.tar.gz",
        platform.os, platform.arch
    )
}

/// Reads the platform out of an archive name, checking it belongs to `version`.
fn archive_platform(archive: &str, version: &Version) -> Option<Platform> {
    let rest = archive
        .strip_prefix(&format!("envtest-v{version}-"))?
        .strip_suffix(".tar.gz")?;
    let (os, arch) = rest.split_once('-')?;
    let platform = Platform::new(os, arch).ok()?;
    (archive_name(version, &platform) == archive).then_some(platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_a() -> String {
        "0123456789abcdef".repeat(8)
    }

    fn sample() -> String {
        let hash_a = hash_a();
        let hash_b = "b".repeat(128);
        let hash_c = "C".repeat(128);
        format!(
            "releases:
  v1.36.1:
    envtest-v1.36.1-linux-amd64.tar.gz:
      hash: {hash_b}
      selfLink: https://example.test/envtest-v1.36.1-linux-amd64.tar.gz
  v1.37.2:
    envtest-v1.37.2-darwin-arm64.tar.gz:
      hash: {hash_c}
      selfLink: https://example.test/envtest-v1.37.2-darwin-arm64.tar.gz
    envtest-v1.37.2-linux-amd64.tar.gz:
      hash: {hash_a}
      selfLink: https://example.test/envtest-v1.37.2-linux-amd64.tar.gz
    envtest-v1.37.2-linux-amd64.tar.gz.sha512:
      hash: {hash_a}
      selfLink: https://example.test/ignored
  v1.37.0:
    envtest-v1.37.0-linux-amd64.tar.gz:
      hash: {hash_a}
      selfLink: https://example.test/envtest-v1.37.0-linux-amd64.tar.gz
  v1.38.0-beta.0:
    envtest-v1.38.0-beta.0-linux-amd64.tar.gz:
      hash: {hash_a}
      selfLink: https://example.test/beta.tar.gz
"
        )
    }

    fn linux() -> Platform {
        Platform::new("linux", "amd64").expect("valid")
    }

    fn v(s: &str) -> Version {
        s.parse().expect("valid version")
    }

    #[test]
    fn parses_the_controller_tools_format() {
        let index = Index::parse(&sample(), "test").expect("parse");
        let release = index
            .newest(&Selector::Exact(v("1.37.2")), &linux())
            .expect("release");
        assert_eq!(release.archive, "envtest-v1.37.2-linux-amd64.tar.gz");
        assert_eq!(
            release.url,
            "https://example.test/envtest-v1.37.2-linux-amd64.tar.gz"
        );
        assert_eq!(release.sha512, hash_a());
    }

    #[test]
    fn hashes_are_normalised_to_lowercase() {
        let index = Index::parse(&sample(), "test").expect("parse");
        let darwin = Platform::new("darwin", "arm64").expect("valid");
        let release = index.newest(&Selector::Latest, &darwin).expect("release");
        assert_eq!(release.sha512, "c".repeat(128));
    }

    #[test]
    fn pre_releases_and_foreign_archive_names_are_ignored_and_order_is_newest_first() {
        let index = Index::parse(&sample(), "test").expect("parse");
        let versions: Vec<_> = index.for_platform(&linux()).map(|r| r.version).collect();
        assert_eq!(versions, vec![v("1.37.2"), v("1.37.0"), v("1.36.1")]);
    }

    #[test]
    fn selectors_pick_the_newest_matching_release() {
        let index = Index::parse(&sample(), "test").expect("parse");
        let pick = |s: &str| {
            index
                .newest(&s.parse().expect("selector"), &linux())
                .map(|r| r.version)
        };
        assert_eq!(pick("latest"), Some(v("1.37.2")));
        assert_eq!(pick("1.36"), Some(v("1.36.1")));
        assert_eq!(pick("1.37.0"), Some(v("1.37.0")));
        assert_eq!(pick("1.35.x"), None);
        let s390 = Platform::new("linux", "s390x").expect("valid");
        assert!(index.newest(&Selector::Latest, &s390).is_none());
    }

    #[test]
    fn a_document_of_another_shape_is_a_clear_error() {
        let err = Index::parse("<html>rate limited</html>", "https://mirror.test/i.yaml")
            .expect_err("not an index");
        let message = err.to_string();
        assert!(message.contains("https://mirror.test/i.yaml"), "{message}");
        assert!(
            message.contains("expected envtest-releases.yaml"),
            "{message}"
        );
    }

    #[test]
    fn a_malformed_hash_is_reported_with_its_archive() {
        let text = "releases:\n  v1.37.2:\n    envtest-v1.37.2-linux-amd64.tar.gz:\n      hash: abc\n      selfLink: https://x.test/a.tar.gz\n";
        let err = Index::parse(text, "test").expect_err("bad hash");
        let message = err.to_string();
        assert!(
            message.contains("envtest-v1.37.2-linux-amd64.tar.gz"),
            "{message}"
        );
        assert!(message.contains("128 hexadecimal digits"), "{message}");
    }

    #[test]
    fn archive_names_round_trip() {
        assert_eq!(
            archive_name(&v("1.37.2"), &linux()),
            "envtest-v1.37.2-linux-amd64.tar.gz"
        );
        assert_eq!(
            archive_platform("envtest-v1.37.2-linux-amd64.tar.gz", &v("1.37.2")),
            Some(linux())
        );
        assert_eq!(
            archive_platform("envtest-v1.37.2-linux-amd64.tar.gz", &v("1.37.1")),
            None
        );
        assert_eq!(
            archive_platform("envtest-v1.37.2-linux-amd64.zip", &v("1.37.2")),
            None
        );
    }
}
