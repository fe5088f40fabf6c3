//! Comparing two flattened CRDs path by path, and the documented differences left out of
//! the figure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::flatten::Flat;

/// A deliberate difference between kubesmith and controller-gen: paths matching `pattern`
/// (`*` matches any run of characters) are listed but not counted.
#[derive(Debug, Clone, Copy)]
pub struct Documented {
    /// Path pattern, as printed in the report.
    pub pattern: &'static str,
    /// Why kubesmith differs here, in one line.
    pub reason: &'static str,
}

/// Differences kubesmith makes on purpose. Add an entry only for a difference that is a
/// decision, never to make the figure pass.
/// The book's marker reference lists the same differences.
pub const DOCUMENTED: &[Documented] = &[
    Documented {
        pattern: "schema.required",
        reason: "the root requires `spec`: kube-derive's root struct holds the spec by value, so an object without one could not be read by the operator",
    },
    Documented {
        pattern: "*.scheduling*x-kubernetes-validations*",
        reason: "validation rules k8s.io/api declares in Go but the API server does not publish (JobSpec.scheduling) are not reproduced",
    },
    Documented {
        pattern: "*.azureDisk.properties.*.default",
        reason: "kubesmith writes the defaults the API server publishes and applies; controller-gen skips `+default=ref(...)` markers",
    },
    Documented {
        pattern: "crd.version.columnOrder",
        reason: "columns declared in #[kube(printcolumn)] come before the columns of field markers",
    },
];

impl Documented {
    /// Whether `path` matches the pattern.
    pub fn matches(&self, path: &str) -> bool {
        glob_matches(self.pattern.as_bytes(), path.as_bytes())
    }
}

fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob_matches(rest, &text[skip..])),
        Some((byte, rest)) => text
            .split_first()
            .is_some_and(|(first, tail)| first == byte && glob_matches(rest, tail)),
    }
}

/// How one path compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Both sides have the path with the same value.
    Identical,
    /// Both sides have the path, with different values.
    Differing {
        /// kubesmith's value.
        kubesmith: Value,
        /// controller-gen's value.
        controller_gen: Value,
    },
    /// Only kubesmith has the path.
    OnlyKubesmith(Value),
    /// Only controller-gen has the path.
    OnlyControllerGen(Value),
}

/// The comparison of one pair of flattened trees.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// What is compared (a Kind, or "overall").
    pub name: String,
    /// Every path of the union that no documented difference matches, with its outcome.
    pub counted: Vec<(String, Outcome)>,
    /// Paths matched by a documented difference, with the difference.
    pub documented: Vec<(String, Documented)>,
}

impl Comparison {
    /// Compares `kubesmith` with `controller_gen`, leaving out paths matched by `documented`.
    pub fn new(
        name: &str,
        kubesmith: &Flat,
        controller_gen: &Flat,
        documented: &[Documented],
    ) -> Self {
        let mut comparison = Comparison {
            name: name.to_string(),
            ..Comparison::default()
        };
        let union: BTreeSet<&String> = kubesmith.keys().chain(controller_gen.keys()).collect();
        for path in union {
            if let Some(entry) = documented.iter().find(|entry| entry.matches(path)) {
                comparison.documented.push((path.clone(), *entry));
                continue;
            }
            let outcome = match (kubesmith.get(path), controller_gen.get(path)) {
                (Some(ours), Some(theirs)) if ours == theirs => Outcome::Identical,
                (Some(ours), Some(theirs)) => Outcome::Differing {
                    kubesmith: ours.clone(),
                    controller_gen: theirs.clone(),
                },
                (Some(ours), None) => Outcome::OnlyKubesmith(ours.clone()),
                (None, Some(theirs)) => Outcome::OnlyControllerGen(theirs.clone()),
                (None, None) => unreachable!("{path} comes from one of the two trees"),
            };
            comparison.counted.push((path.clone(), outcome));
        }
        comparison
    }

    /// The comparisons of several Kinds summed up under `name`.
    pub fn total(name: &str, parts: &[Comparison]) -> Self {
        Comparison {
            name: name.to_string(),
            counted: parts
                .iter()
                .flat_map(|part| {
                    part.counted
                        .iter()
                        .map(|(path, outcome)| (format!("{}:{path}", part.name), outcome.clone()))
                })
                .collect(),
            documented: parts
                .iter()
                .flat_map(|part| part.documented.iter().cloned())
                .collect(),
        }
    }

    /// How many counted paths are identical.
    pub fn identical(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::Identical))
    }

    /// How many counted paths both sides have, with different values.
    pub fn differing(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::Differing { .. }))
    }

    /// How many counted paths only kubesmith has.
    pub fn only_kubesmith(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::OnlyKubesmith(_)))
    }

    /// How many counted paths only controller-gen has.
    pub fn only_controller_gen(&self) -> usize {
        self.count(|outcome| matches!(outcome, Outcome::OnlyControllerGen(_)))
    }

    /// Identical paths as a percentage of the counted union (100 when nothing is counted).
    pub fn percent_identical(&self) -> f64 {
        if self.counted.is_empty() {
            return 100.0;
        }
        100.0 * self.identical() as f64 / self.counted.len() as f64
    }

    /// Non-identical paths counted by outcome and [class](class_of): what a reader scans first.
    pub fn classes(&self) -> BTreeMap<(&'static str, String), usize> {
        let mut classes = BTreeMap::new();
        for (path, outcome) in &self.counted {
            let label = match outcome {
                Outcome::Identical => continue,
                Outcome::Differing { .. } => "differs",
                Outcome::OnlyKubesmith(_) => "only kubesmith",
                Outcome::OnlyControllerGen(_) => "only controller-gen",
            };
            *classes.entry((label, class_of(path))).or_default() += 1;
        }
        classes
    }

    fn count(&self, predicate: impl Fn(&Outcome) -> bool) -> usize {
        self.counted
            .iter()
            .filter(|(_, outcome)| predicate(outcome))
            .count()
    }

    /// The one-line summary: counts and the percentage.
    pub fn summary(&self) -> String {
        format!(
            "{}: {:.2} % identical ({} of {} paths; {} differing, {} only in kubesmith, {} only in controller-gen; {} documented differences left out)",
            self.name,
            self.percent_identical(),
            self.identical(),
            self.counted.len(),
            self.differing(),
            self.only_kubesmith(),
            self.only_controller_gen(),
            self.documented.len(),
        )
    }
}

/// The summary, then every non-identical path (sorted) with both values, then the paths left
/// out as documented differences.
impl fmt::Display for Comparison {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(out, "{}", self.summary())?;
        for (path, outcome) in &self.counted {
            match outcome {
                Outcome::Identical => {}
                Outcome::Differing {
                    kubesmith,
                    controller_gen,
                } => writeln!(
                    out,
                    "  differs             {path}: kubesmith {} / controller-gen {}",
                    shown(kubesmith),
                    shown(controller_gen)
                )?,
                Outcome::OnlyKubesmith(value) => {
                    writeln!(out, "  only kubesmith      {path} = {}", shown(value))?
                }
                Outcome::OnlyControllerGen(value) => {
                    writeln!(out, "  only controller-gen {path} = {}", shown(value))?
                }
            }
        }
        for (path, entry) in &self.documented {
            writeln!(
                out,
                "  documented          {path} ({}: {})",
                entry.pattern, entry.reason
            )?;
        }
        Ok(())
    }
}

/// The class of a path: what remains after its last field (`properties.<name>`, `items`,
/// `additionalProperties`), so `schema.properties.spec.properties.size.enum` is `enum` and
/// `….port.anyOf[0].type` is `anyOf[].type`; a CRD-level fact is its whole path without the
/// Kind (`crd.names.shortNames`).
pub fn class_of(path: &str) -> String {
    let path = path.split_once(':').map_or(path, |(_, path)| path);
    if path.starts_with("crd.") {
        return path.to_string();
    }
    let segments: Vec<&str> = path.split('.').collect();
    let mut start = 1;
    let mut index = 1;
    while index < segments.len() {
        match segments[index] {
            "properties" => {
                start = index + 2;
                index += 2;
            }
            "items" | "additionalProperties" => {
                start = index + 1;
                index += 1;
            }
            _ => index += 1,
        }
    }
    let class = segments.get(start..).unwrap_or_default().join(".");
    let mut unindexed = String::with_capacity(class.len());
    let mut in_index = false;
    for character in class.chars() {
        match character {
            '[' => {
                in_index = true;
                unindexed.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => unindexed.push(character),
        }
    }
    unindexed
}

/// `value` as compact JSON, cut to 100 characters.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[test]
fn comparison_counts_each_kind_of_difference() {
    use serde_json::json;

    let kubesmith = crate::flatten::flatten(
        "s",
        &json!({
            "type": "object",
            "required": ["a", "b"],
            "properties": {
                "a": {"type": "integer", "minimum": 1.0, "nullable": true},
                "b": {"type": "string", "enum": ["x", "y"], "description": "ours"},
                "c": {"type": "string", "format": "email"},
            },
        }),
    );
    let controller_gen = crate::flatten::flatten(
        "s",
        &json!({
            "type": "object",
            "required": ["b", "a"],
            "properties": {
                "a": {"type": "integer", "minimum": 1},
                "b": {"type": "string", "enum": ["y", "x"], "description": "theirs"},
                "c": {"type": "string", "format": "email", "maxLength": 5},
            },
        }),
    );

    let plain = Comparison::new("Kind", &kubesmith, &controller_gen, &[]);
    // Identical: type, required (a set), a.type, a.minimum (1.0 == 1), b.type, c.type, c.format.
    assert_eq!(plain.identical(), 7);
    assert_eq!(plain.differing(), 1, "the enum's order: {plain}");
    assert_eq!(plain.only_kubesmith(), 1, "a.nullable: {plain}");
    assert_eq!(plain.only_controller_gen(), 1, "c.maxLength: {plain}");
    assert_eq!(plain.percent_identical(), 70.0);

    let documented = [Documented {
        pattern: "s.properties.*.nullable",
        reason: "an example",
    }];
    let excused = Comparison::new("Kind", &kubesmith, &controller_gen, &documented);
    assert_eq!(excused.only_kubesmith(), 0);
    let excused_paths: Vec<&str> = excused
        .documented
        .iter()
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(excused_paths, ["s.properties.a.nullable"]);
    assert_eq!(excused.percent_identical(), 700.0 / 9.0);

    let total = Comparison::total("overall", &[plain.clone(), plain]);
    assert_eq!((total.identical(), total.counted.len()), (14, 20));
}

#[test]
fn paths_are_classed_by_what_follows_the_last_field() {
    assert_eq!(
        class_of("schema.properties.spec.properties.size.enum"),
        "enum"
    );
    assert_eq!(
        class_of("Widget:schema.properties.spec.properties.items.type"),
        "type"
    );
    assert_eq!(
        class_of("schema.properties.a.items.properties.p.anyOf[1].type"),
        "anyOf[].type"
    );
    assert_eq!(
        class_of("schema.properties.m.additionalProperties.nullable"),
        "nullable"
    );
    assert_eq!(class_of("schema.required"), "required");
    assert_eq!(class_of("crd.names.shortNames"), "crd.names.shortNames");
}

#[test]
fn documented_patterns_match_whole_paths() {
    let entry = Documented {
        pattern: "schema.*.x-kubernetes-map-type",
        reason: "an example",
    };
    assert!(entry.matches("schema.properties.spec.x-kubernetes-map-type"));
    assert!(!entry.matches("schema.properties.spec.x-kubernetes-map-type.extra"));
    assert!(!entry.matches("crd.properties.spec.x-kubernetes-map-type"));
}
