//! Kubernetes release versions and the selectors users type to pick one.
//!
//! Only stable releases (`X.Y.Z`) take part: pre-releases such as `v1.31.0-beta.0` are never
//! selected, because the store names its directories after plain `X.Y.Z` versions.

use std::fmt;
use std::str::FromStr;

/// Text that is not a Kubernetes version or version selector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidVersion {
    /// Not `X.Y.Z`.
    #[error(
        "invalid Kubernetes version `{0}`: expected X.Y.Z (optionally prefixed with v), e.g. 1.37.2"
    )]
    Version(String),
    /// Not `X.Y.Z`, `X.Y`, `X.Y.x` or `latest`.
    #[error("invalid Kubernetes version selector `{0}`: expected X.Y.Z, X.Y, X.Y.x or latest")]
    Selector(String),
}

/// A stable Kubernetes release, `major.minor.patch`; ordered oldest to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major version (`1` for every Kubernetes release so far).
    pub major: u32,
    /// The minor version, e.g. `37` in `1.37.2`.
    pub minor: u32,
    /// The patch version, e.g. `2` in `1.37.2`.
    pub patch: u32,
}

impl Version {
    /// Builds a version from its three numbers.
    #[must_use]
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for Version {
    type Err = InvalidVersion;

    /// Parses `X.Y.Z` with an optional leading `v` (`v1.37.2` as Go modules and the release
    /// index spell it). Anything else, pre-releases included, is rejected.
    fn from_str(input: &str) -> Result<Self, InvalidVersion> {
        let invalid = || InvalidVersion::Version(input.to_owned());
        let numbers =
            parse_numbers(input.strip_prefix('v').unwrap_or(input)).ok_or_else(invalid)?;
        match numbers[..] {
            [major, minor, patch] => Ok(Self::new(major, minor, patch)),
            _ => Err(invalid()),
        }
    }
}

/// Which release a command should work with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// Exactly this release (`1.37.2`).
    Exact(Version),
    /// The newest patch release of one minor (`1.37` or `1.37.x`).
    Minor {
        /// The major version.
        major: u32,
        /// The minor version.
        minor: u32,
    },
    /// The newest release there is (`latest`).
    ///
    /// Unlike the other selectors it is answered by the release index when that is reachable,
    /// so an installed older release does not hide a newer one; offline it falls back to the
    /// newest installed release.
    Latest,
}

impl Selector {
    /// Whether `version` satisfies this selector.
    #[must_use]
    pub fn matches(&self, version: &Version) -> bool {
        match *self {
            Self::Exact(exact) => exact == *version,
            Self::Minor { major, minor } => version.major == major && version.minor == minor,
            Self::Latest => true,
        }
    }

    /// The newest of `candidates` that satisfies this selector.
    pub fn newest<'a, I>(&self, candidates: I) -> Option<Version>
    where
        I: IntoIterator<Item = &'a Version>,
    {
        candidates
            .into_iter()
            .filter(|v| self.matches(v))
            .max()
            .copied()
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(version) => version.fmt(f),
            Self::Minor { major, minor } => write!(f, "{major}.{minor}.x"),
            Self::Latest => f.write_str("latest"),
        }
    }
}

impl FromStr for Selector {
    type Err = InvalidVersion;

    /// Parses `X.Y.Z`, `X.Y`, `X.Y.x` (each with an optional leading `v`) or `latest`.
    fn from_str(input: &str) -> Result<Self, InvalidVersion> {
        let invalid = || InvalidVersion::Selector(input.to_owned());
        let trimmed = input.trim();
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(Self::Latest);
        }
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let minor_part = bare
            .strip_suffix(".x")
            .or_else(|| bare.strip_suffix(".X"))
            .unwrap_or(bare);
        let numbers = parse_numbers(minor_part).ok_or_else(invalid)?;
        match (&numbers[..], minor_part.len() == bare.len()) {
            (&[major, minor, patch], true) => Ok(Self::Exact(Version::new(major, minor, patch))),
            (&[major, minor], _) => Ok(Self::Minor { major, minor }),
            _ => Err(invalid()),
        }
    }
}

/// Splits `a.b.c` into numbers; `None` when a part is empty or not a plain decimal number.
fn parse_numbers(input: &str) -> Option<Vec<u32>> {
    input
        .split('.')
        .map(|part| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                part.parse().ok()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().expect("valid version")
    }

    #[test]
    fn versions_parse_with_or_without_v_prefix() {
        assert_eq!(v("1.37.2"), Version::new(1, 37, 2));
        assert_eq!(v("v1.37.2"), Version::new(1, 37, 2));
        assert_eq!(Version::new(1, 37, 2).to_string(), "1.37.2");
    }

    #[test]
    fn pre_releases_and_malformed_versions_are_rejected() {
        for bad in [
            "v1.31.0-beta.0",
            "1.37",
            "1.37.2.1",
            "1..2",
            "",
            "v",
            "1.37.+2",
            "one.two.three",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn versions_order_numerically_not_lexically() {
        assert!(v("1.10.0") > v("1.9.9"));
        assert!(v("1.37.10") > v("1.37.2"));
        assert!(v("2.0.0") > v("1.99.99"));
    }

    #[test]
    fn selectors_parse_every_documented_form() {
        assert_eq!(
            "1.37.2".parse::<Selector>().ok(),
            Some(Selector::Exact(v("1.37.2")))
        );
        assert_eq!(
            "v1.37.2".parse::<Selector>().ok(),
            Some(Selector::Exact(v("1.37.2")))
        );
        let minor = Selector::Minor {
            major: 1,
            minor: 37,
        };
        assert_eq!("1.37".parse::<Selector>().ok(), Some(minor));
        assert_eq!("1.37.x".parse::<Selector>().ok(), Some(minor));
        assert_eq!("v1.37.X".parse::<Selector>().ok(), Some(minor));
        assert_eq!("latest".parse::<Selector>().ok(), Some(Selector::Latest));
    }

    #[test]
    fn malformed_selectors_name_the_input_and_the_accepted_forms() {
        for bad in ["1", "1.x", "1.37.2.x", "~1.37", "newest", "1.37.2-rc.0", ""] {
            let err = bad.parse::<Selector>().expect_err(bad);
            let message = err.to_string();
            assert!(message.contains(&format!("`{bad}`")), "{message}");
            assert!(message.contains("X.Y.Z, X.Y, X.Y.x or latest"), "{message}");
        }
    }

    #[test]
    fn exact_selector_matches_only_its_version() {
        let selector = Selector::Exact(v("1.37.2"));
        assert!(selector.matches(&v("1.37.2")));
        assert!(!selector.matches(&v("1.37.3")));
    }

    #[test]
    fn minor_selector_picks_the_newest_patch_of_that_minor() {
        let candidates = [
            v("1.36.9"),
            v("1.37.0"),
            v("1.37.10"),
            v("1.37.2"),
            v("1.38.0"),
        ];
        let selector: Selector = "1.37".parse().expect("valid");
        assert_eq!(selector.newest(&candidates), Some(v("1.37.10")));
        let missing: Selector = "1.35.x".parse().expect("valid");
        assert_eq!(missing.newest(&candidates), None);
    }

    #[test]
    fn latest_selector_picks_the_newest_of_all() {
        let candidates = [v("1.36.9"), v("1.38.0"), v("1.37.10")];
        assert_eq!(Selector::Latest.newest(&candidates), Some(v("1.38.0")));
        assert_eq!(Selector::Latest.newest(&[]), None);
    }

    #[test]
    fn selectors_display_in_their_canonical_form() {
        assert_eq!(
            "v1.37".parse::<Selector>().map(|s| s.to_string()).ok(),
            Some("1.37.x".into())
        );
        assert_eq!(Selector::Latest.to_string(), "latest");
    }
}
