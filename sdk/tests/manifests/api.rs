//! The test APIs: a CronJob-like Kind that uses every marker, and a Widget with two versions.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Runs a job on a schedule.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "batch.kubesmith.dev",
    version = "v1",
    kind = "CronJob",
    namespaced
)]
#[kube(
    status = "CronJobStatus",
    shortname = "cj",
    category = "all",
    selectable = ".spec.suspend"
)]
#[kube(scale(
    spec_replicas_path = ".spec.parallelism",
    status_replicas_path = ".status.active"
))]
#[serde(rename_all = "camelCase")]
#[k8s(
    exactly_one_of(image, image_ref),
    at_most_one_of(suspend, suspend_until)
)]
#[k8s(cel(
    rule = "!has(self.deadlineSeconds) || !has(self.backoffSeconds) || self.backoffSeconds < self.deadlineSeconds",
    message = "backoff must be shorter than the deadline",
    reason = "FieldValueInvalid",
    field_path = ".backoffSeconds"
))]
pub struct CronJobSpec {
    /// The schedule in Cron format.
    #[k8s(
        min_length = 9,
        max_length = 64,
        pattern = "^(\\S+ ){4}\\S+$",
        print_column
    )]
    pub schedule: String,
    /// How many pods run at once.
    #[k8s(minimum = 0, maximum = 10, default = 1)]
    pub parallelism: Option<i32>,
    /// Seconds after which a run is stopped.
    #[k8s(exclusive_minimum = 0, exclusive_maximum = 86400)]
    pub deadline_seconds: Option<i64>,
    /// Seconds between retries.
    #[k8s(
        multiple_of = 5,
        cel(
            rule = "self <= 3600",
            message_expression = "self > 7200 ? 'backoffSeconds is more than two hours' : 'backoffSeconds is more than an hour'"
        )
    )]
    pub backoff_seconds: Option<i32>,
    /// What to do with a run still active at the next schedule.
    #[k8s(enum = ["Allow", "Forbid", "Replace"], default = "Allow", print_column(name = "Policy", priority = 1))]
    pub concurrency_policy: Option<String>,
    /// Whether runs are paused.
    pub suspend: Option<bool>,
    /// Runs are paused until then.
    #[k8s(format = "date-time", nullable)]
    pub suspend_until: Option<String>,
    /// Container image.
    pub image: Option<String>,
    /// Reference to an image catalog entry.
    pub image_ref: Option<String>,
    /// Command arguments.
    #[k8s(min_items = 1, max_items = 3, list_type = "set")]
    pub args: Option<Vec<String>>,
    /// Environment variables, merged by name.
    #[k8s(list_type = "map", list_map_keys = ["name"])]
    pub env: Option<Vec<EnvVar>>,
    /// Labels for the pods.
    #[k8s(min_properties = 1, max_properties = 4, map_type = "atomic")]
    pub pod_labels: Option<BTreeMap<String, String>>,
    /// Free-form settings kept as they are.
    #[k8s(preserve_unknown_fields)]
    pub extra: Option<serde_json::Value>,
    /// A full object (apiVersion, kind, metadata) run as the job.
    #[k8s(embedded_resource, preserve_unknown_fields)]
    pub template: Option<serde_json::Value>,
    /// Allowed failures: a count or a percentage.
    #[k8s(int_or_string)]
    pub failure_budget: Option<IntOrString>,
    /// The storage class; fixed once set.
    #[k8s(immutable = "storageClass cannot be changed")]
    pub storage_class: Option<String>,
    /// Ports to expose.
    #[k8s(
        max_items = 16,
        cel(
            rule = "self.all(p, p > 0 && p < 65536)",
            message = "ports must be between 1 and 65535"
        )
    )]
    pub ports: Option<Vec<i32>>,
    /// The owning team.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[k8s(required)]
    pub team: Option<String>,
    /// Free text.
    #[k8s(optional)]
    pub note: String,
    /// Resource requests, replaced as a whole.
    #[k8s(struct_type = "atomic")]
    pub resources: Option<Resources>,
    /// Run timeout as a duration string (`90s`, `5m`).
    #[k8s(pattern = "^([0-9]+(s|m|h))+$")]
    pub timeout: Option<String>,
    /// What happens when a run fails.
    pub restart_policy: Option<RestartPolicy>,
    /// Settings shared with other kinds, flattened into the spec.
    #[serde(flatten)]
    pub common: Common,
}

/// One environment variable.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub struct EnvVar {
    /// Variable name.
    pub name: EnvName,
    /// Variable value.
    pub value: Option<String>,
}

/// The name of an environment variable (a newtype with value markers of its own).
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[k8s(min_length = 1, max_length = 128, pattern = "^[A-Za-z_][A-Za-z0-9_]*$")]
pub struct EnvName(pub String);

/// Compute resources.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub struct Resources {
    /// CPU request.
    pub cpu: Option<Quantity>,
    /// Memory request.
    pub memory: Option<Quantity>,
}

/// What happens when a run fails.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub enum RestartPolicy {
    /// Never restart.
    Never,
    /// Restart failed pods.
    OnFailure,
}

/// Settings shared by several kinds.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct Common {
    /// Scheduling priority.
    #[k8s(minimum = -100, maximum = 100)]
    pub priority_level: Option<i32>,
}

/// Observed state of a CronJob.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct CronJobStatus {
    /// Running jobs.
    #[k8s(print_column(type = "integer"))]
    pub active: Option<i32>,
    /// When a job was last started.
    #[k8s(print_column(type = "date", name = "Last Schedule"))]
    pub last_schedule_time: Option<Time>,
}

/// A Widget in two versions: v1 stores, v1beta1 is served and deprecated.
pub mod widget {
    /// The stored version.
    pub mod v1 {
        use kube::CustomResource;
        use schemars::JsonSchema;
        use serde::{Deserialize, Serialize};

        /// A widget.
        #[kubesmith::markers]
        #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
        #[kube(group = "shop.kubesmith.dev", version = "v1", kind = "Widget")]
        pub struct WidgetSpec {
            /// Size in centimetres.
            #[k8s(minimum = 1, print_column(type = "integer"))]
            pub size: i32,
            /// Colour.
            #[k8s(enum = ["red", "blue"])]
            pub colour: String,
        }
    }

    /// The older version.
    pub mod v1beta1 {
        use kube::CustomResource;
        use schemars::JsonSchema;
        use serde::{Deserialize, Serialize};

        /// A widget (beta).
        #[kubesmith::markers]
        #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
        #[kube(group = "shop.kubesmith.dev", version = "v1beta1", kind = "Widget")]
        #[kube(storage = false, deprecated = "use shop.kubesmith.dev/v1")]
        pub struct WidgetSpec {
            /// Size in inches.
            #[k8s(minimum = 1)]
            pub size: i32,
        }
    }
}
