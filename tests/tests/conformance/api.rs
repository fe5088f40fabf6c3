//! The conformance corpus in Rust: the Go APIs of `tests/conformance/go/api/v1`, translated
//! field by field to kubesmith markers the way a kube-rs user would write them. Each Go
//! marker has its counterpart here; keep the two in step.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::batch::v1::JobTemplateSpec;
use k8s_openapi::api::core::v1::{
    Container, ObjectReference, PodTemplateSpec, ResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A widget's t-shirt size.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    S,
    M,
    L,
    XL,
}

/// A duration written as text ("30s"); it serializes itself as a JSON string, so fields of
/// this type carry `schema_type = "string"` (kubesmith takes it on fields, not on a struct).
#[kubesmith::markers]
#[derive(JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    #[schemars(skip)]
    pub seconds: i64,
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{}s", self.seconds))
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.strip_suffix('s')
            .and_then(|seconds| seconds.parse().ok())
            .map(|seconds| Interval { seconds })
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a number of seconds")))
    }
}

/// One named port a widget serves.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Identifies the endpoint within the widget.
    #[k8s(max_length = 15)]
    pub name: String,
    /// The TCP port.
    #[k8s(minimum = 1, maximum = 65535)]
    pub port: i32,
    /// Defaults to TCP.
    #[k8s(enum = ["TCP", "UDP"], default = "TCP")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// How replicas are replaced; replaced as a whole.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[serde(rename_all = "camelCase")]
#[k8s(struct_type = "atomic")]
pub struct Rollout {
    /// How many extra replicas may exist during a rollout.
    #[k8s(int_or_string, pattern = "^([0-9]+|[0-9]+%)$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
    /// The traffic shares of a canary rollout.
    #[k8s(items(int_or_string, pattern = "^([0-9]+|[0-9]+%)$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<IntOrString>>,
}

/// A small replicated service.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "conformance.kubesmith.dev",
    version = "v1",
    kind = "Widget",
    namespaced,
    status = "WidgetStatus",
    shortname = "wd",
    shortname = "wdg",
    category = "conformance"
)]
#[kube(
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[k8s(cel(
    rule = "!has(self.maxReplicas) || self.replicas <= self.maxReplicas",
    message = "replicas must not exceed maxReplicas",
    reason = "FieldValueInvalid",
    field_path = ".replicas"
))]
#[k8s(
    at_most_one_of(config_map_name, secret_name),
    exactly_one_of(image, image_ref)
)]
pub struct WidgetSpec {
    /// The number of widget instances.
    #[k8s(minimum = 1, maximum = 100, default = 1, print_column)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Caps replicas; must be positive.
    #[k8s(exclusive_minimum = 0)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    /// Below 10.
    #[k8s(exclusive_maximum = 10)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// A multiple of 5.
    #[k8s(multiple_of = 5, example = 10)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<i64>,

    /// Shown in dashboards.
    #[k8s(
        title = "Display name",
        example = "Front door",
        min_length = 1,
        max_length = 63,
        required
    )]
    pub display_name: String,
    /// A DNS label.
    #[k8s(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// A contact address.
    #[k8s(format = "email")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Selects the service level.
    #[k8s(enum = ["bronze", "silver", "gold"], default = "silver")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Unset means the controller picks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    /// May be set to null explicitly.
    #[k8s(nullable)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,

    /// A container image reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Names an ImageStream tag instead of an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_ref: Option<String>,
    /// Names a ConfigMap with settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_name: Option<String>,
    /// Names a Secret with settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,

    /// The exposed ports, each once.
    #[k8s(
        list_type = "set",
        min_items = 1,
        max_items = 8,
        items(minimum = 1, maximum = 65535)
    )]
    pub ports: Vec<i32>,
    /// Free-form labels for search.
    #[k8s(
        list_type = "set",
        items(min_length = 1, max_length = 32, pattern = "^[a-z]+$"),
        cel(
            rule = "self.size() <= 10",
            message_expression = "'at most 10 tags, got ' + string(self.size())"
        )
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Availability zones in preference order.
    #[k8s(list_type = "atomic", items(enum = ["a", "b", "c"]), default = ["a"])]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Merged by name on server-side apply.
    #[k8s(list_type = "map", list_map_keys = ["name"])]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Vec<Endpoint>>,

    /// Copied onto every replica.
    #[k8s(map_type = "granular", min_properties = 1, max_properties = 16)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Weight per zone; a null weight drains the zone.
    #[k8s(map_type = "atomic")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<BTreeMap<String, Option<i32>>>,
    /// A PEM bundle.
    #[k8s(format = "byte")]
    #[schemars(with = "Option<String>")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<ByteString>,
    /// How often the widget is probed.
    #[k8s(schema_type = "string", format = "duration")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_interval: Option<Interval>,
    /// Tunes replacement of replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
    /// Stops reconciliation.
    pub paused: bool,
}

/// The observed state of a Widget.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct WidgetStatus {
    /// Counts replicas passing their checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// Summarizes the widget.
    #[k8s(
        enum = ["Pending", "Running", "Failed"],
        print_column(description = "Summary of the widget")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The widget's current conditions.
    #[k8s(list_type = "map", list_map_keys = ["type"])]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
}

/// Where a fleet's members run.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// The cloud region, such as eu-west-1.
    #[k8s(min_length = 2)]
    pub name: String,
    /// The largest number of members the region takes.
    #[k8s(minimum = 0)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i32>,
    /// Shares traffic between regions.
    #[k8s(default = 1)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

/// Groups Widgets across namespaces and regions.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "conformance.kubesmith.dev",
    version = "v1",
    kind = "Fleet",
    singular = "fleet",
    status = "FleetStatus",
    shortname = "fl",
    category = "conformance",
    category = "fleets"
)]
#[serde(rename_all = "camelCase")]
#[k8s(min_properties = 1)]
pub struct FleetSpec {
    /// Merged by name.
    #[k8s(list_type = "map", list_map_keys = ["name"], max_items = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<Region>>,
    /// Picks the Widgets that belong to the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// The rollout order: each wave is a list of region names updated together.
    #[k8s(max_items = 5, items(max_items = 4, items(min_length = 2)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waves: Option<Vec<Vec<String>>>,
    /// Maps a region to its member limit.
    #[k8s(max_properties = 20)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotas: Option<BTreeMap<String, i32>>,
    /// The fleet's home region; it cannot change after creation.
    #[k8s(immutable = "home is immutable")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
}

/// The observed state of a Fleet.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct FleetStatus {
    /// Counts the Widgets in the fleet.
    #[k8s(print_column(priority = 1))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<i32>,
}

/// What happens when a run is due while the last one still runs.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConcurrencyPolicy {
    Allow,
    Forbid,
    Replace,
}

/// Runs a Job on a schedule.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "conformance.kubesmith.dev",
    version = "v1",
    kind = "CronTask",
    namespaced,
    status = "CronTaskStatus",
    shortname = "ct"
)]
#[serde(rename_all = "camelCase")]
pub struct CronTaskSpec {
    /// In cron format.
    #[k8s(min_length = 9, pattern = r"^(\S+\s+){4}\S+$", print_column)]
    pub schedule: String,
    /// The IANA time zone of the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// How late a run may start.
    #[k8s(minimum = 0)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<i64>,
    /// Defaults to Allow.
    #[k8s(default = "Allow")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<ConcurrencyPolicy>,
    /// Stops future runs.
    #[k8s(print_column)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// The Job created for each run.
    pub job_template: JobTemplateSpec,
    /// Keeps this many finished Jobs.
    #[k8s(minimum = 0, default = 3)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i32>,
    /// Keeps this many failed Jobs.
    #[k8s(minimum = 0, default = 1)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i32>,
}

/// The observed state of a CronTask.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct CronTaskStatus {
    /// The running Jobs.
    #[k8s(list_type = "atomic")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Vec<ObjectReference>>,
    /// When a Job was last started.
    #[k8s(print_column(name = "Last Schedule"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<Time>,
    /// When a Job last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_time: Option<Time>,
}

/// Runs pods with sidecars and overrides.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "conformance.kubesmith.dev",
    version = "v1",
    kind = "Workload",
    namespaced,
    status = "WorkloadStatus",
    category = "conformance"
)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpec {
    /// The pod each replica runs.
    pub template: PodTemplateSpec,
    /// Added to every pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidecars: Option<Vec<Container>>,
    /// Bounds the whole workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// A count or a percentage of replicas.
    #[k8s(print_column(type = "string", name = "Max Unavailable"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// The volume requested per replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_size: Option<Quantity>,
    /// A Kubernetes object patched into the generated Deployment.
    #[k8s(preserve_unknown_fields, embedded_resource)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<RawExtension>,
    /// Free-form configuration handed to the application.
    #[k8s(schemaless, preserve_unknown_fields, schema_type = "object")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<RawExtension>,
    /// Delays the first rollout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Time>,
}

/// The observed state of a Workload.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadStatus {
    /// The generation the status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The workload's current conditions.
    #[k8s(list_type = "map", list_map_keys = ["type"])]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// When the workload last changed phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
}
