//! The dashboards as data: each a list of panels, each panel a title, a unit and its queries
//! over the families a kubesmith manager serves (`kubesmith::metrics`); [`render`] turns one
//! into Grafana's dashboard JSON (schema 39, time-series panels, a Prometheus data source
//! and the job and controller chosen at the top).

use serde_json::{Value, json};

/// One dashboard.
pub struct Dashboard {
    /// The file under `grafana/`.
    pub file: &'static str,
    /// The title after the project's name.
    pub title: &'static str,
    /// The suffix of its uid, after the project's name.
    pub uid: &'static str,
    /// Whether panels filter by the `controller` variable.
    pub per_controller: bool,
    /// The panels, two to a row.
    pub panels: &'static [Panel],
}

/// One time-series panel.
pub struct Panel {
    /// Its title.
    pub title: &'static str,
    /// What it shows, for its tooltip.
    pub description: &'static str,
    /// Grafana's unit of the values (`ops`, `s`, `bytes`, `short`, `percentunit`).
    pub unit: &'static str,
    /// The queries: PromQL with `$job`, `$controller` and `$__rate_interval`, and the legend.
    pub queries: &'static [(&'static str, &'static str)],
}

/// The controller-runtime families: reconciles, the work queue, webhooks, leader election.
pub const RUNTIME: Dashboard = Dashboard {
    file: "grafana/controller-runtime-metrics.json",
    title: "controller runtime",
    uid: "runtime",
    per_controller: true,
    panels: &[
        Panel {
            title: "Reconciles per second",
            description: "Finished reconciles by controller and result (success, error, requeue, requeue_after).",
            unit: "ops",
            queries: &[(
                r#"sum by (controller, result) (rate(controller_runtime_reconcile_total{job="$job", controller=~"$controller"}[$__rate_interval]))"#,
                "{{controller}} {{result}}",
            )],
        },
        Panel {
            title: "Reconcile errors per second",
            description: "Failed reconciles (retried with backoff), terminal errors (not retried) and recovered panics.",
            unit: "ops",
            queries: &[
                (
                    r#"sum by (controller) (rate(controller_runtime_reconcile_errors_total{job="$job", controller=~"$controller"}[$__rate_interval]))"#,
                    "{{controller}} errors",
                ),
                (
                    r#"sum by (controller) (rate(controller_runtime_terminal_reconcile_errors_total{job="$job", controller=~"$controller"}[$__rate_interval]))"#,
                    "{{controller}} terminal",
                ),
                (
                    r#"sum by (controller) (rate(controller_runtime_reconcile_panics_total{job="$job", controller=~"$controller"}[$__rate_interval]))"#,
                    "{{controller}} panics",
                ),
            ],
        },
        Panel {
            title: "Reconcile time",
            description: "How long reconciles take: the median and the 99th percentile.",
            unit: "s",
            queries: &[
                (
                    r#"histogram_quantile(0.5, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{job="$job", controller=~"$controller"}[$__rate_interval])))"#,
                    "{{controller}} p50",
                ),
                (
                    r#"histogram_quantile(0.99, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{job="$job", controller=~"$controller"}[$__rate_interval])))"#,
                    "{{controller}} p99",
                ),
            ],
        },
        Panel {
            title: "Workers",
            description: "Reconciles running now, against the controller's concurrency.",
            unit: "short",
            queries: &[
                (
                    r#"sum by (controller) (controller_runtime_active_workers{job="$job", controller=~"$controller"})"#,
                    "{{controller}} active",
                ),
                (
                    r#"max by (controller) (controller_runtime_max_concurrent_reconciles{job="$job", controller=~"$controller"})"#,
                    "{{controller}} max",
                ),
            ],
        },
        Panel {
            title: "Work queue depth",
            description: "Objects waiting for a reconcile.",
            unit: "short",
            queries: &[(
                r#"sum by (controller) (workqueue_depth{job="$job", controller=~"$controller"})"#,
                "{{controller}}",
            )],
        },
        Panel {
            title: "Work queue adds and retries per second",
            description: "Objects that started waiting, and requeues with backoff.",
            unit: "ops",
            queries: &[
                (
                    r#"sum by (controller) (rate(workqueue_adds_total{job="$job", controller=~"$controller"}[$__rate_interval]))"#,
                    "{{controller}} adds",
                ),
                (
                    r#"sum by (controller) (rate(workqueue_retries_total{job="$job", controller=~"$controller"}[$__rate_interval]))"#,
                    "{{controller}} retries",
                ),
            ],
        },
        Panel {
            title: "Time in the queue",
            description: "From the change that queued an object to the start of its reconcile (99th percentile).",
            unit: "s",
            queries: &[(
                r#"histogram_quantile(0.99, sum by (controller, le) (rate(workqueue_queue_duration_seconds_bucket{job="$job", controller=~"$controller"}[$__rate_interval])))"#,
                "{{controller}} p99",
            )],
        },
        Panel {
            title: "Work duration",
            description: "Time spent processing one request (99th percentile).",
            unit: "s",
            queries: &[(
                r#"histogram_quantile(0.99, sum by (controller, le) (rate(workqueue_work_duration_seconds_bucket{job="$job", controller=~"$controller"}[$__rate_interval])))"#,
                "{{controller}} p99",
            )],
        },
        Panel {
            title: "Webhook requests per second",
            description: "Admission and conversion requests answered, by path and HTTP status.",
            unit: "ops",
            queries: &[(
                r#"sum by (webhook, code) (rate(controller_runtime_webhook_requests_total{job="$job"}[$__rate_interval]))"#,
                "{{webhook}} {{code}}",
            )],
        },
        Panel {
            title: "Webhook latency",
            description: "Time to answer a webhook request (99th percentile), and requests being answered now.",
            unit: "s",
            queries: &[
                (
                    r#"histogram_quantile(0.99, sum by (webhook, le) (rate(controller_runtime_webhook_latency_seconds_bucket{job="$job"}[$__rate_interval])))"#,
                    "{{webhook}} p99",
                ),
                (
                    r#"sum by (webhook) (controller_runtime_webhook_requests_in_flight{job="$job"})"#,
                    "{{webhook}} in flight",
                ),
            ],
        },
        Panel {
            title: "Leaders",
            description: "Processes holding each lease: 1 while a leader runs the controllers, 0 during a takeover.",
            unit: "short",
            queries: &[(
                r#"sum by (name) (leader_election_master_status{job="$job"})"#,
                "{{name}}",
            )],
        },
    ],
};

/// The manager process: CPU, memory, file descriptors, restarts.
pub const RESOURCES: Dashboard = Dashboard {
    file: "grafana/controller-resources-metrics.json",
    title: "controller resources",
    uid: "resources",
    per_controller: false,
    panels: &[
        Panel {
            title: "CPU",
            description: "CPU cores the manager uses, by pod.",
            unit: "short",
            queries: &[(
                r#"sum by (pod) (rate(process_cpu_seconds_total{job="$job"}[$__rate_interval]))"#,
                "{{pod}}",
            )],
        },
        Panel {
            title: "Memory",
            description: "Resident memory of the manager, by pod.",
            unit: "bytes",
            queries: &[(
                r#"sum by (pod) (process_resident_memory_bytes{job="$job"})"#,
                "{{pod}}",
            )],
        },
        Panel {
            title: "File descriptors",
            description: "Open file descriptors as a share of the limit, by pod.",
            unit: "percentunit",
            queries: &[(
                r#"max by (pod) (process_open_fds{job="$job"} / process_max_fds{job="$job"})"#,
                "{{pod}}",
            )],
        },
        Panel {
            title: "Uptime",
            description: "Time since each manager process started: a drop is a restart.",
            unit: "s",
            queries: &[(
                r#"max by (pod) (time() - process_start_time_seconds{job="$job"})"#,
                "{{pod}}",
            )],
        },
    ],
};

/// Every dashboard the plugin writes.
pub const DASHBOARDS: &[Dashboard] = &[RUNTIME, RESOURCES];

/// Panel height and width on Grafana's 24-column grid.
const HEIGHT: u64 = 8;
const WIDTH: u64 = 12;

/// `dashboard` of `project` as Grafana's JSON, ending with a newline.
pub fn render(dashboard: &Dashboard, project: &str) -> String {
    let datasource = json!({"type": "prometheus", "uid": "${datasource}"});
    let panels: Vec<Value> = dashboard
        .panels
        .iter()
        .zip(0u64..)
        .map(|(panel, index)| {
            let targets: Vec<Value> = panel
                .queries
                .iter()
                .zip('A'..)
                .map(|((expr, legend), ref_id)| {
                    json!({
                        "datasource": datasource,
                        "expr": expr,
                        "legendFormat": legend,
                        "refId": ref_id.to_string(),
                    })
                })
                .collect();
            json!({
                "datasource": datasource,
                "description": panel.description,
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "gridPos": {"h": HEIGHT, "w": WIDTH, "x": (index % 2) * WIDTH, "y": (index / 2) * HEIGHT},
                "id": index + 1,
                "options": {
                    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
                    "tooltip": {"mode": "multi", "sort": "desc"},
                },
                "targets": targets,
                "title": panel.title,
                "type": "timeseries",
            })
        })
        .collect();
    let mut variables = vec![
        json!({
            "current": {},
            "hide": 0,
            "label": "Data source",
            "name": "datasource",
            "query": "prometheus",
            "type": "datasource",
        }),
        query_variable(
            "job",
            "Job",
            "label_values(controller_runtime_reconcile_total, job)",
            false,
        ),
    ];
    if dashboard.per_controller {
        variables.push(query_variable(
            "controller",
            "Controller",
            r#"label_values(controller_runtime_reconcile_total{job="$job"}, controller)"#,
            true,
        ));
    }
    let document = json!({
        "annotations": {"list": []},
        "editable": true,
        "graphTooltip": 1,
        "panels": panels,
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["kubesmith", project],
        "templating": {"list": variables},
        "time": {"from": "now-1h", "to": "now"},
        "timezone": "",
        "title": format!("{project} / {}", dashboard.title),
        "uid": uid(project, dashboard.uid),
        "version": 1,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// A variable whose values come from a PromQL label query; `all` allows every value at once.
fn query_variable(name: &str, label: &str, query: &str, all: bool) -> Value {
    let mut variable = json!({
        "current": {},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "hide": 0,
        "label": label,
        "name": name,
        "query": {"query": query, "refId": name},
        "refresh": 2,
        "sort": 1,
        "type": "query",
    });
    if all {
        variable["includeAll"] = json!(true);
        variable["multi"] = json!(true);
        variable["allValue"] = json!(".*");
    }
    variable
}

/// A dashboard uid: Grafana allows 40 characters; a long project name is cut, keeping the
/// dashboard's own suffix.
fn uid(project: &str, suffix: &str) -> String {
    let room = 40 - suffix.len() - 1;
    let cut: String = project.chars().take(room).collect();
    format!("{}-{suffix}", cut.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_are_laid_out_two_to_a_row_with_unique_ids() {
        for dashboard in DASHBOARDS {
            let value: Value = serde_json::from_str(&render(dashboard, "guestbook")).expect("JSON");
            let panels = value["panels"].as_array().expect("panels");
            assert_eq!(panels.len(), dashboard.panels.len());
            for (index, panel) in panels.iter().enumerate() {
                assert_eq!(panel["id"], json!(index + 1));
                assert_eq!(panel["gridPos"]["x"], json!((index % 2) * 12));
                assert_eq!(panel["gridPos"]["y"], json!((index / 2) * 8));
                for target in panel["targets"].as_array().expect("targets") {
                    let expr = target["expr"].as_str().expect("an expression");
                    assert!(expr.contains(r#"job="$job""#), "{expr}");
                    if dashboard.per_controller
                        && !expr.contains("webhook")
                        && !expr.contains("leader")
                    {
                        assert!(expr.contains(r#"controller=~"$controller""#), "{expr}");
                    }
                }
            }
        }
    }

    #[test]
    fn uids_fit_grafanas_limit() {
        let long = "a-project-name-that-is-far-too-long-for-a-grafana-uid";
        let uid = uid(long, "resources");
        assert!(uid.len() <= 40, "{uid}");
        assert!(uid.ends_with("-resources"), "{uid}");
        assert_eq!(super::uid("guestbook", "runtime"), "guestbook-runtime");
    }
}
