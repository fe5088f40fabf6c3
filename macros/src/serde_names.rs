//! The JSON names serde gives fields: `rename`, `rename_all`, `flatten`, `skip`.

use syn::{Attribute, LitStr};

use crate::keys::{meta_key, skip_meta_value};

/// What serde attributes say about one container or field.
#[derive(Default)]
pub struct SerdeAttrs {
    pub rename: Option<String>,
    pub rename_all: Option<String>,
    pub flatten: bool,
    pub skip: bool,
    pub tag: Option<String>,
    pub content: Option<String>,
    pub untagged: bool,
    pub has_default: bool,
}

impl SerdeAttrs {
    /// Reads every `#[serde(...)]` attribute; unknown keys are serde's business and ignored.
    pub fn read(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = SerdeAttrs::default();
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
            attr.parse_nested_meta(|meta| {
                let key = meta_key(&meta);
                let string = |meta: &syn::meta::ParseNestedMeta| -> syn::Result<Option<String>> {
                    if meta.input.peek(syn::Token![=]) {
                        Ok(Some(meta.value()?.parse::<LitStr>()?.value()))
                    } else {
                        Ok(None)
                    }
                };
                match key.as_str() {
                    "rename" => out.rename = string(&meta)?,
                    "rename_all" => out.rename_all = string(&meta)?,
                    "tag" => out.tag = string(&meta)?,
                    "content" => out.content = string(&meta)?,
                    "flatten" => out.flatten = true,
                    "untagged" => out.untagged = true,
                    "skip" | "skip_serializing" | "skip_deserializing" => out.skip = true,
                    "default" => {
                        out.has_default = true;
                        string(&meta)?;
                    }
                    _ => skip_meta_value(&meta)?,
                }
                Ok(())
            })?;
        }
        Ok(out)
    }
}

/// Applies a serde `rename_all` rule to a Rust field or variant name.
pub fn rename(name: &str, rule: Option<&str>, is_variant: bool) -> String {
    let words: Vec<String> = if is_variant {
        split_pascal(name)
    } else {
        name.split('_')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let capitalize = |word: &str| {
        let mut chars = word.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect::<String>())
            .unwrap_or_default()
    };
    match rule {
        Some("lowercase") => words.concat(),
        Some("UPPERCASE") => words.concat().to_uppercase(),
        Some("PascalCase") => words.iter().map(|w| capitalize(w)).collect(),
        Some("camelCase") => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { w.clone() } else { capitalize(w) })
            .collect(),
        Some("snake_case") => words.join("_"),
        Some("SCREAMING_SNAKE_CASE") => words.join("_").to_uppercase(),
        Some("kebab-case") => words.join("-"),
        Some("SCREAMING-KEBAB-CASE") => words.join("-").to_uppercase(),
        _ => name.to_string(),
    }
}

fn split_pascal(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for c in name.chars() {
        if c.is_uppercase() || words.is_empty() {
            words.push(String::new());
        }
        if let Some(word) = words.last_mut() {
            word.extend(c.to_lowercase());
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::rename;

    #[test]
    fn field_names_follow_serde_rename_all() {
        assert_eq!(
            rename("job_template", Some("camelCase"), false),
            "jobTemplate"
        );
        assert_eq!(
            rename("job_template", Some("PascalCase"), false),
            "JobTemplate"
        );
        assert_eq!(
            rename("job_template", Some("kebab-case"), false),
            "job-template"
        );
        assert_eq!(rename("job_template", None, false), "job_template");
        assert_eq!(rename("ForbidNow", Some("camelCase"), true), "forbidNow");
    }
}
