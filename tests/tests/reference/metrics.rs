//! `book/src/reference/metrics.md`: the metric families the SDK registers, with their types and
//! labels, read from the registry's source and cross-checked with a real scrape; the histogram
//! buckets as a scrape shows them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use k8s_openapi::api::core::v1::ConfigMap;
use kubesmith::controller::Controller;
use kubesmith::manager::{Manager, ManagerOptions};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
use kubesmith::webhook::{Validator, Webhook};

use super::{assert_on_page, check_generated, fields, page, public_consts, public_fns, source};

const PAGE: &str = "metrics.md";
const REGISTRY: &str = "sdk/src/metrics/registry.rs";

/// A metric family: the name its samples carry (counters with `_total`), its type, its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Family {
    name: String,
    kind: String,
    labels: Vec<String>,
}

/// The families `Metrics::new` registers, read from its source: each `registry.register(`
/// call's name and field, the field's type (`Family<Labels, Counter>`, `HistogramFamily<Labels>`)
/// and the fields of its label struct.
fn registered() -> Vec<Family> {
    let text = source(REGISTRY);
    let metrics = fields(REGISTRY, "Metrics");
    let mut families = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "registry.register(" {
            continue;
        }
        let name = lines.next().unwrap_or_default().trim_matches([',', '"']);
        let _help = lines.next();
        let field = lines
            .next()
            .and_then(|line| line.strip_prefix("metrics."))
            .and_then(|line| line.split('.').next())
            .unwrap_or_else(|| panic!("the field registered as {name}"));
        let (_, _, ty) = metrics
            .iter()
            .find(|(_, candidate, _)| candidate == field)
            .unwrap_or_else(|| panic!("no field {field} in Metrics"));
        let (labels, kind) = match ty.strip_prefix("HistogramFamily<") {
            Some(labels) => (labels.trim_end_matches('>'), "histogram".to_string()),
            None => {
                let inner = ty.trim_start_matches("Family<").trim_end_matches('>');
                let (labels, metric) = inner.split_once(", ").expect("Family<Labels, Metric>");
                (labels, metric.to_lowercase())
            }
        };
        let suffix = if kind == "counter" { "_total" } else { "" };
        families.push(Family {
            name: format!("{name}{suffix}"),
            kind,
            labels: fields(REGISTRY, labels)
                .into_iter()
                .map(|(_, label, _)| label)
                .collect(),
        });
    }
    assert!(families.len() > 10, "the registrations were not found");
    families
}

struct Noop;

impl Reconciler<ConfigMap> for Noop {
    async fn reconcile(&self, _: Arc<ConfigMap>, _: &Context) -> Result<Action, ReconcileError> {
        Ok(Action::await_change())
    }
}

struct Anything;

impl Validator<ConfigMap> for Anything {}

/// What `/metrics` serves for a manager with one controller, one webhook and a lease (a family
/// shows up once it has a series).
fn scrape() -> String {
    let config = kube::Config::new("https://127.0.0.1:1".parse().expect("a URL"));
    let client = kube::Client::try_from(config).expect("a client");
    let options = ManagerOptions {
        watch_namespaces: vec!["default".into()],
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(client, options).expect("a manager");
    manager
        .add(Controller::<ConfigMap>::new(), Noop)
        .expect("the controller");
    manager
        .add_webhook(Webhook::<ConfigMap>::new().validator(Anything))
        .expect("the webhook");
    manager.metrics().set_leader("example-lease", true);
    manager.metrics().encode()
}

/// The families of a scrape by sample name, with their type, label names (without `le`) and
/// histogram bucket bounds.
fn scraped(text: &str) -> BTreeMap<String, (Family, Vec<String>)> {
    let mut types = BTreeMap::new();
    let mut out: BTreeMap<String, (Family, Vec<String>)> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            types.insert(name.to_string(), kind.to_string());
            continue;
        }
        let Some((series, _)) = line.split_once('{') else {
            continue;
        };
        let labels = line[series.len() + 1..]
            .split('}')
            .next()
            .unwrap_or_default();
        let (family, kind) = types
            .iter()
            .filter(|(name, _)| series.starts_with(name.as_str()))
            .max_by_key(|(name, _)| name.len())
            .map(|(name, kind)| (name.clone(), kind.clone()))
            .expect("a series of a typed family");
        let name = if kind == "counter" {
            series.to_string()
        } else {
            family
        };
        let entry = out.entry(name.clone()).or_insert_with(|| {
            let family = Family {
                name,
                kind,
                labels: Vec::new(),
            };
            (family, Vec::new())
        });
        for pair in labels.split(',') {
            let (label, value) = pair.split_once('=').expect("label=\"value\"");
            let value = value.trim_matches('"');
            if label == "le" {
                if value != "+Inf" && !entry.1.iter().any(|bound| bound == value) {
                    entry.1.push(value.to_string());
                }
            } else if !entry.0.labels.iter().any(|known| known == label) {
                entry.0.labels.push(label.to_string());
            }
        }
    }
    out
}

/// The rows of the page's metric table: name, type and labels.
fn documented() -> Vec<Family> {
    page(PAGE)
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let code = |cell: &str| -> Vec<String> {
                cell.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect()
            };
            Family {
                name: code(cells[0]).concat(),
                kind: cells.get(1).copied().unwrap_or_default().trim().to_string(),
                labels: code(cells.get(2).copied().unwrap_or_default()),
            }
        })
        .collect()
}

#[tokio::test]
async fn the_metric_table_lists_every_registered_family_with_its_type_and_labels() {
    let registered = registered();
    let scraped = scraped(&scrape());
    // The source reading agrees with what is served, for every family a scrape shows.
    for family in &registered {
        if let Some((served, _)) = scraped.get(&family.name) {
            assert_eq!(
                served, family,
                "the served family differs from its registration"
            );
        }
    }
    for name in scraped.keys() {
        assert!(
            registered.iter().any(|family| &family.name == name),
            "{name} is served but was not found in {REGISTRY}"
        );
    }
    let documented = documented();
    for family in &registered {
        let row = documented.iter().find(|row| row.name == family.name);
        assert_eq!(
            row,
            Some(family),
            "book/src/reference/{PAGE} documents {} differently (expected `| `name` | type | `label`, … |`)",
            family.name
        );
    }
    for row in &documented {
        assert!(
            registered.iter().any(|family| family.name == row.name),
            "book/src/reference/{PAGE} lists {}, which the SDK does not register",
            row.name
        );
    }
}

#[tokio::test]
async fn the_histogram_buckets_on_the_page_are_the_served_ones() {
    let mut table = String::from("| histogram | bucket upper bounds (seconds) |\n|---|---|\n");
    for (name, (family, bounds)) in scraped(&scrape()) {
        if family.kind == "histogram" {
            let _ = writeln!(table, "| `{name}` | {} |", bounds.join(", "));
        }
    }
    check_generated(PAGE, &[("buckets", table)]);
}

#[tokio::test]
async fn the_metrics_api_and_the_result_label_values_are_on_the_page() {
    let results = scrape()
        .split("result=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert!(results.len() >= 4, "no result labels were served");
    assert_on_page(PAGE, "values of the result label", results);
    let mut names: Vec<String> = public_fns(REGISTRY).iter().map(|f| f.path()).collect();
    names.extend(
        public_fns("sdk/src/metrics/server.rs")
            .iter()
            .map(|f| f.path()),
    );
    names.extend(public_consts(REGISTRY));
    names.extend(public_consts("sdk/src/metrics/server.rs"));
    assert_on_page(PAGE, "metrics API items", names);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_process_families_on_the_page_are_served() {
    let text = page(PAGE);
    let section = text
        .split("## The process")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a section on the process's families");
    let names: Vec<&str> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| name.starts_with("process_"))
        .collect();
    assert!(names.len() >= 6, "{names:?}");
    let scrape = scrape();
    for name in names {
        let line = scrape
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} is on the page but not served:\n{scrape}"));
        let value: f64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(value > 0.0, "{line}");
    }
}

/// The metric names a PromQL expression selects: each identifier followed by `{`.
fn selected_metrics(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in expr.match_indices('{') {
        let name: String = expr[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

#[tokio::test]
async fn the_grafana_plugins_dashboards_query_only_served_families() {
    use kubesmith_cli::scaffold::plugins::grafana::dashboards::DASHBOARDS;
    let scrape = scrape();
    let registered = registered();
    let typed: Vec<(&str, &str)> = scrape
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .collect();
    let mut checked = 0;
    for dashboard in DASHBOARDS {
        for panel in dashboard.panels {
            for (expr, _) in panel.queries {
                let names = selected_metrics(expr);
                assert!(!names.is_empty(), "{expr} selects no metric");
                for name in names {
                    // Served now, or registered (a family without series yet is not).
                    let served = typed.iter().any(|(family, kind)| match *kind {
                        "counter" => name == format!("{family}_total"),
                        "histogram" => name == format!("{family}_bucket"),
                        _ => name == *family,
                    }) || registered.iter().any(|family| match family.kind.as_str() {
                        "histogram" => name == format!("{}_bucket", family.name),
                        _ => name == family.name,
                    });
                    assert!(
                        served,
                        "{} queries {name}, which a manager does not serve:\n{scrape}",
                        dashboard.file
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} selections found");
    assert!(
        page(PAGE).contains("kubesmith edit --plugins grafana"),
        "{PAGE} does not say how to get the dashboards"
    );
}
