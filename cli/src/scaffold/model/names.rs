//! The names a scaffold is built from — project, domain, group, version, Kind, plural — checked
//! the way Kubernetes and Rust will check them, and the names derived from them.

use crate::scaffold::error::ScaffoldError;

/// Rust keywords (strict, reserved and weak) a Kind's module name may not be.
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

/// Type names a Kind may not take: the prelude's, what generated code names, and what a
/// `#[derive(CustomResource)]` makes of a Kind (`<Kind>Spec`, `<Kind>Status`).
const RESERVED_KINDS: &[&str] = &[
    "Self",
    "Box",
    "Option",
    "Result",
    "String",
    "Vec",
    "Some",
    "None",
    "Ok",
    "Err",
    "Copy",
    "Clone",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Default",
    "Debug",
    "Iterator",
    "Into",
    "From",
    "ToString",
    "ToOwned",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "Arc",
    "Action",
    "Context",
    "Controller",
    "Condition",
    "Manager",
    "Reconciler",
    "Webhook",
    "Conversion",
    "Api",
    "Client",
    "Resource",
    "CustomResource",
    "JsonSchema",
    "Serialize",
    "Deserialize",
    "Type",
];

fn invalid(what: &str, value: &str, expected: &str) -> ScaffoldError {
    ScaffoldError::InvalidName {
        what: what.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// Whether `value` is a DNS-1123 label: 1–63 of `a-z0-9-`, starting and ending alphanumeric.
fn is_dns_label(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// Whether `value` is a DNS-1123 subdomain: dot-separated labels, at most 253 characters.
fn is_dns_subdomain(value: &str) -> bool {
    !value.is_empty() && value.len() <= 253 && value.split('.').all(is_dns_label)
}

/// A project name: a DNS-1123 label (it names the namespace `<name>-system` and prefixes
/// every object), which also makes a valid crate name.
pub fn check_project_name(name: &str) -> Result<(), ScaffoldError> {
    if !is_dns_label(name) || name.len() > 56 || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(invalid(
            "project name",
            name,
            "a DNS-1123 label of at most 56 characters (lower case letters, digits and '-', starting with a letter), e.g. guestbook; pass --project-name",
        ));
    }
    Ok(())
}

/// A domain: a DNS-1123 subdomain (`example.com`).
pub fn check_domain(domain: &str) -> Result<(), ScaffoldError> {
    if !is_dns_subdomain(domain) {
        return Err(invalid(
            "domain",
            domain,
            "a DNS-1123 subdomain such as my.domain (lower case letters, digits, '-' and '.')",
        ));
    }
    Ok(())
}

/// A group: a DNS-1123 subdomain that, joined with the domain, names the API group.
pub fn check_group(group: &str, domain: &str) -> Result<(), ScaffoldError> {
    if group.is_empty() {
        return Err(invalid(
            "group",
            group,
            "a group name such as batch (core for the core Kinds of Kubernetes)",
        ));
    }
    if !is_dns_subdomain(group) || !is_dns_subdomain(&format!("{group}.{domain}")) {
        return Err(invalid(
            "group",
            group,
            "a lower-case DNS-1123 label such as batch",
        ));
    }
    if group.contains('.') || syn_keyword(group) {
        return Err(invalid(
            "group",
            group,
            "one DNS-1123 label that is not a Rust keyword (it names a Rust module), e.g. batch",
        ));
    }
    Ok(())
}

/// A version: `v<major>`, optionally `alpha<n>`/`beta<n>` (`v1`, `v1beta1`, `v2alpha3`).
pub fn check_version(version: &str) -> Result<(), ScaffoldError> {
    let expected = "a Kubernetes API version such as v1, v1beta1 or v2alpha3";
    let rest = version
        .strip_prefix('v')
        .ok_or_else(|| invalid("version", version, expected))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (major, tail) = rest.split_at(digits);
    let valid_major = !major.is_empty() && !major.starts_with('0');
    let valid_tail = tail.is_empty()
        || ["alpha", "beta"].iter().any(|stage| {
            tail.strip_prefix(stage).is_some_and(|n| {
                !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
            })
        });
    if !(valid_major && valid_tail) {
        return Err(invalid("version", version, expected));
    }
    Ok(())
}

/// A Kind: CamelCase starting with an upper-case letter, ASCII letters and digits, whose lower
/// case is a DNS-1035 label and a module name, and which does not clash with Rust or with
/// generated code.
pub fn check_kind(kind: &str) -> Result<(), ScaffoldError> {
    let shape = kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.len() <= 63
        && kind.bytes().all(|b| b.is_ascii_alphanumeric());
    if !shape {
        return Err(invalid(
            "kind",
            kind,
            "CamelCase ASCII letters and digits starting with an upper-case letter, e.g. CronJob",
        ));
    }
    let lower = kind.to_ascii_lowercase();
    if RESERVED_KINDS.contains(&kind) || syn_keyword(&lower) {
        return Err(invalid(
            "kind",
            kind,
            "a name that is not a Rust keyword, a prelude type or a name generated code uses (choose e.g. CronJob)",
        ));
    }
    if kind.ends_with("Spec") || kind.ends_with("Status") || kind.ends_with("List") {
        return Err(invalid(
            "kind",
            kind,
            "a name not ending in Spec, Status or List (those name generated types)",
        ));
    }
    Ok(())
}

/// A plural: a DNS-1035 label in lower case (`cronjobs`).
pub fn check_plural(plural: &str) -> Result<(), ScaffoldError> {
    let valid = is_dns_label(plural) && plural.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        return Err(invalid(
            "plural",
            plural,
            "a lower-case DNS-1035 label such as cronjobs",
        ));
    }
    Ok(())
}

/// A Rust module path (`widgets::v1`, `::widgets::api::v1`): identifiers joined by `::`,
/// none of them a keyword but `crate` as the first.
///
/// ```
/// use kubesmith_cli::scaffold::model::names::check_rust_path;
/// assert!(check_rust_path("widgets::v1").is_ok());
/// assert!(check_rust_path("widgets/v1").is_err());
/// assert!(check_rust_path("widgets::type").is_err());
/// ```
pub fn check_rust_path(path: &str) -> Result<(), ScaffoldError> {
    let segments: Vec<&str> = path.trim_start_matches("::").split("::").collect();
    let identifier = |segment: &str| {
        segment.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let valid = segments.iter().enumerate().all(|(at, segment)| {
        identifier(segment) && (!syn_keyword(segment) || (at == 0 && *segment == "crate"))
    });
    if !valid {
        return Err(invalid(
            "--external-api-path",
            path,
            "the Rust module of the type, such as widgets::v1 (a crate the project depends on)",
        ));
    }
    Ok(())
}

/// The crate of another project's Kind (`--external-api-module`): `<crate>@<version>`, as
/// `cargo add` spells it, whose crate is the first segment of the Kind's Rust module
/// (`--external-api-path`); returns the crate's name and version requirement.
///
/// ```
/// use kubesmith_cli::scaffold::model::names::check_external_module;
/// assert_eq!(
///     check_external_module("cert-manager-types@0.3", "cert_manager_types::v1").unwrap(),
///     ("cert-manager-types".to_string(), "0.3".to_string())
/// );
/// assert!(check_external_module("widgets", "widgets::v1").is_err());
/// assert!(check_external_module("widgets@0.3", "gadgets::v1").is_err());
/// assert!(check_external_module("wid gets@0.3", "wid_gets::v1").is_err());
/// ```
pub fn check_external_module(module: &str, path: &str) -> Result<(String, String), ScaffoldError> {
    let expected = "<crate>@<version>, such as widgets@0.3, for the crate that --external-api-path starts with";
    let (name, version) = module
        .split_once('@')
        .ok_or_else(|| invalid("--external-api-module", module, expected))?;
    let name_valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let version_valid = !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".^~=<>*+-, ".contains(c));
    if !name_valid || !version_valid {
        return Err(invalid("--external-api-module", module, expected));
    }
    let first = path
        .trim_start_matches("::")
        .split("::")
        .next()
        .unwrap_or_default();
    if first != name.replace('-', "_") {
        return Err(ScaffoldError::Usage(format!(
            "--external-api-module {module} is the crate {name}, but --external-api-path {path} starts with {first}: the Kind's module must be in that crate ({}::...)",
            name.replace('-', "_")
        )));
    }
    Ok((name.to_string(), version.to_string()))
}

/// A controller name (`--controller-name`): a lower-case Rust identifier with underscores
/// (`deployment_backup`), the controller's module, metrics label and log name.
pub fn check_controller_name(name: &str) -> Result<(), ScaffoldError> {
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !syn_keyword(name);
    if !valid {
        return Err(invalid(
            "--controller-name",
            name,
            "a lower-case name with underscores such as deployment_backup (it names a Rust module)",
        ));
    }
    Ok(())
}

/// `deployment_backup` as a type name: `DeploymentBackup`.
///
/// ```
/// assert_eq!(kubesmith_cli::scaffold::model::names::upper_camel_case("deployment_backup"), "DeploymentBackup");
/// ```
pub fn upper_camel_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn syn_keyword(word: &str) -> bool {
    RUST_KEYWORDS.contains(&word)
}

/// The English plural of a lower-case Kind name, as Kubernetes tools guess it.
///
/// ```
/// use kubesmith_cli::scaffold::model::names::plural;
/// assert_eq!(plural("cronjob"), "cronjobs");
/// assert_eq!(plural("policy"), "policies");
/// assert_eq!(plural("ingress"), "ingresses");
/// assert_eq!(plural("key"), "keys");
/// ```
pub fn plural(lower_kind: &str) -> String {
    const IRREGULAR: &[(&str, &str)] = &[
        ("person", "people"),
        ("child", "children"),
        ("endpoints", "endpoints"),
        ("chassis", "chassis"),
    ];
    if let Some((_, plural)) = IRREGULAR
        .iter()
        .find(|(singular, _)| *singular == lower_kind)
    {
        return (*plural).to_string();
    }
    let ends = |suffix: &str| lower_kind.ends_with(suffix);
    if ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh") {
        return format!("{lower_kind}es");
    }
    if let Some(stem) = lower_kind.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    format!("{lower_kind}s")
}

/// A project name as a crate (library) name: `my-operator` → `my_operator`.
pub fn crate_name(project_name: &str) -> String {
    project_name.replace('-', "_")
}

/// A CamelCase name in snake case: `CronJob` → `cron_job` (for test names).
pub fn snake_case(camel: &str) -> String {
    let mut snake = String::new();
    for (i, c) in camel.char_indices() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kubernetes_and_rust_rules() {
        assert!(check_project_name("guestbook").is_ok());
        assert!(check_project_name("Guestbook").is_err());
        assert!(check_project_name("1book").is_err());
        assert!(check_domain("my.domain").is_ok());
        assert!(check_domain("my_domain").is_err());
        assert!(check_group("batch", "example.com").is_ok());
        assert!(check_group("Batch", "example.com").is_err());
        assert!(
            check_group("ship.crew", "example.com").is_err(),
            "one label: a module name"
        );
        assert!(check_group("type", "example.com").is_err());
        for version in ["v1", "v1beta1", "v2alpha3", "v10"] {
            assert!(check_version(version).is_ok(), "{version}");
        }
        for version in ["1", "v", "v0", "v1beta", "v1gamma1", "v1beta01", "V1"] {
            assert!(check_version(version).is_err(), "{version}");
        }
        assert!(check_kind("CronJob").is_ok());
        for kind in [
            "cronJob", "Cron-Job", "Type", "Box", "Self", "Option", "Match", "FooSpec", "Vec", "",
        ] {
            assert!(check_kind(kind).is_err(), "{kind}");
        }
        assert!(check_plural("cronjobs").is_ok());
        assert!(check_plural("Cronjobs").is_err());
    }

    #[test]
    fn plurals_and_case() {
        assert_eq!(plural("bus"), "buses");
        assert_eq!(plural("box"), "boxes");
        assert_eq!(plural("match"), "matches");
        assert_eq!(plural("day"), "days");
        assert_eq!(plural("person"), "people");
        assert_eq!(snake_case("CronJob"), "cron_job");
        assert_eq!(crate_name("my-operator"), "my_operator");
    }
}
