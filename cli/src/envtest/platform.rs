//! Operating system and CPU architecture, spelled the way Go and the envtest archives spell them.

use std::fmt;

/// An OS or architecture name that is not usable in store paths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid {what} `{input}`: expected a Go name such as linux/amd64 (lowercase letters, digits, _)"
)]
pub struct InvalidPlatform {
    /// `OS` or `architecture`.
    pub what: &'static str,
    /// The text that was given.
    pub input: String,
}

/// An OS/architecture pair in Go's vocabulary (`linux`/`amd64`, `darwin`/`arm64`, …).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// Go's `GOOS`, e.g. `linux`.
    pub os: String,
    /// Go's `GOARCH`, e.g. `amd64`.
    pub arch: String,
}

impl Platform {
    /// Builds a platform from an OS and an architecture name.
    ///
    /// Both must be non-empty lowercase ASCII words (letters, digits, `_`): they become part of
    /// directory and archive names such as `1.37.2-linux-amd64`, where a `-` or `/` would be
    /// ambiguous or unsafe.
    pub fn new(os: &str, arch: &str) -> Result<Self, InvalidPlatform> {
        for (what, value) in [("OS", os), ("architecture", arch)] {
            let valid = !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(InvalidPlatform {
                    what,
                    input: value.to_owned(),
                });
            }
        }
        Ok(Self {
            os: os.to_owned(),
            arch: arch.to_owned(),
        })
    }

    /// The platform this program was compiled for, translated to Go's names.
    #[must_use]
    pub fn host() -> Self {
        Self {
            os: go_os(std::env::consts::OS).to_owned(),
            arch: go_arch(std::env::consts::ARCH).to_owned(),
        }
    }

    /// The file name of a control-plane binary on this platform (`kubectl`, or `kubectl.exe`
    /// on Windows).
    #[must_use]
    pub fn executable_name(&self, binary: &str) -> String {
        if self.os == "windows" {
            format!("{binary}.exe")
        } else {
            binary.to_owned()
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

/// Rust's `std::env::consts::OS` to Go's `GOOS`.
fn go_os(rust_os: &str) -> &str {
    match rust_os {
        "macos" => "darwin",
        other => other,
    }
}

/// Rust's `std::env::consts::ARCH` to Go's `GOARCH`.
fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names_translate_to_go_names() {
        assert_eq!(go_os("macos"), "darwin");
        assert_eq!(go_os("linux"), "linux");
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
        assert_eq!(go_arch("s390x"), "s390x");
    }

    #[test]
    fn names_that_would_break_directory_names_are_rejected() {
        assert!(Platform::new("linux", "amd64").is_ok());
        for (os, arch) in [
            ("", "amd64"),
            ("linux", "amd-64"),
            ("../x", "amd64"),
            ("Linux", "amd64"),
        ] {
            let err = Platform::new(os, arch).expect_err("invalid platform");
            assert!(err.to_string().contains("expected"), "{err}");
        }
    }

    #[test]
    fn windows_executables_get_an_exe_suffix() {
        let windows = Platform::new("windows", "amd64").expect("valid");
        let linux = Platform::new("linux", "amd64").expect("valid");
        assert_eq!(windows.executable_name("etcd"), "etcd.exe");
        assert_eq!(linux.executable_name("etcd"), "etcd");
    }
}
