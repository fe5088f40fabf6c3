//! The allow-list: breaking changes recorded as intentional, `KIND:VERSION:PATH` each.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::change::Change;
use super::error::ApiDiffError;

/// The project file of intentional breaks, one `KIND:VERSION:PATH` a line.
pub const ALLOW_FILE: &str = "hack/api-breaks-allowed.txt";

/// One allowed break: Kind, version and path, each of which may use `*` for any text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    kind: String,
    version: String,
    path: String,
}

impl FromStr for AllowEntry {
    type Err = String;

    /// Parses `KIND:VERSION:PATH`, e.g. `CronJob:v1:spec.schedule` or `CronJob:v1beta1:*`.
    ///
    /// ```
    /// use kubesmith_cli::api_diff::AllowEntry;
    ///
    /// let entry: AllowEntry = "CronJob:v1:spec.containers[*].image".parse()?;
    /// assert_eq!(entry.to_string(), "CronJob:v1:spec.containers[*].image");
    /// assert!("CronJob:spec.schedule".parse::<AllowEntry>().is_err());
    /// # Ok::<(), String>(())
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = text.trim().splitn(3, ':').collect();
        match parts.as_slice() {
            [kind, version, path]
                if !kind.is_empty()
                    && !version.is_empty()
                    && !path.is_empty()
                    && !path.contains(char::is_whitespace) =>
            {
                Ok(AllowEntry {
                    kind: (*kind).into(),
                    version: (*version).into(),
                    path: (*path).into(),
                })
            }
            _ => Err(format!(
                "{text:?} is not KIND:VERSION:PATH (e.g. CronJob:v1:spec.schedule, \
                 CronJob:v1beta1:@version, CronJob:*:spec.*)"
            )),
        }
    }
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.kind, self.version, self.path)
    }
}

impl AllowEntry {
    /// Whether this entry allows `change`.
    pub fn allows(&self, change: &Change) -> bool {
        glob(&self.kind, &change.kind)
            && glob(&self.version, &change.version)
            && glob(&self.path, &change.path)
    }
}

/// The entries of an allow-list file: one a line, `#` starts a comment, blank lines skipped.
/// No file, no entries.
pub fn read_allow_file(path: &Path) -> Result<Vec<AllowEntry>, ApiDiffError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ApiDiffError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let entry = line
            .parse()
            .map_err(|reason| ApiDiffError::MalformedAllowList {
                path: path.to_path_buf(),
                line: index + 1,
                reason,
            })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Whether `text` matches `pattern`, where `*` stands for any text (also none).
fn glob(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("spec.schedule", "spec.schedule"));
        assert!(!glob("spec.schedule", "spec.schedules"));
        assert!(glob("spec.*", "spec.template.containers[*].name"));
        assert!(glob("*", ""));
        assert!(glob("spec.containers[*].name", "spec.containers[*].name"));
        assert!(glob("*.name", "spec.containers[*].name"));
        assert!(!glob("*.name", "spec.names"));
        assert!(glob("a*b*c", "abc"));
        assert!(!glob("a*b*c", "acb"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn allow_file_comments_and_errors() {
        let temp = tempfile::tempdir().expect("a temporary directory");
        let path = temp.path().join("allowed.txt");
        assert_eq!(read_allow_file(&path).ok(), Some(Vec::new()));
        std::fs::write(
            &path,
            "# intentional\n\nCronJob:v1:spec.schedule  # renamed to spec.cron\n",
        )
        .expect("a file");
        let entries = read_allow_file(&path).expect("entries");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].to_string(), "CronJob:v1:spec.schedule");
        std::fs::write(&path, "CronJob:v1:spec.a\nCronJob v1 spec.b\n").expect("a file");
        let error = read_allow_file(&path)
            .expect_err("a malformed line")
            .to_string();
        assert!(error.contains("allowed.txt:2:"), "{error}");
        assert!(error.contains("is not KIND:VERSION:PATH"), "{error}");
    }
}
