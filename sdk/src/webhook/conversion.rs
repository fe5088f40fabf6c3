//! Conversion between the versions of one Kind through a hub version, expressed with Rust's
//! `From`/`TryFrom` between the version types: each spoke converts to and from the hub, a
//! spoke-to-spoke conversion goes through the hub, and a failed `TryFrom` fails the
//! ConversionReview with its message. Served at [`CONVERT_PATH`](super::CONVERT_PATH).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::Arc;

use kube::core::Status;
use kube::core::conversion::{ConversionRequest, ConversionResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Kind;

/// Turns one version's JSON into the hub, or the hub into one version's JSON.
type ToHub<H> = fn(Value) -> Result<H, String>;
type FromHub<H> = fn(&H) -> Result<Value, String>;

/// The versions of one Kind and how each converts to and from `H`, the hub.
///
/// ```
/// # mod v1 { use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// # #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
/// # #[kube(group = "example.com", version = "v1", kind = "Widget", namespaced)]
/// # pub struct WidgetSpec { pub size: i32 } }
/// # mod v2 { use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// # #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
/// # #[kube(group = "example.com", version = "v2", kind = "Widget", namespaced)]
/// # pub struct WidgetSpec { pub size: i64 } }
/// # impl From<v1::Widget> for v2::Widget { fn from(w: v1::Widget) -> Self { let mut o = v2::Widget::new(&w.metadata.name.clone().unwrap_or_default(), v2::WidgetSpec { size: w.spec.size.into() }); o.metadata = w.metadata; o } }
/// # impl TryFrom<v2::Widget> for v1::Widget { type Error = std::num::TryFromIntError; fn try_from(w: v2::Widget) -> Result<Self, Self::Error> { let mut o = v1::Widget::new("", v1::WidgetSpec { size: w.spec.size.try_into()? }); o.metadata = w.metadata; Ok(o) } }
/// use kubesmith::webhook::Conversion;
/// // v2 is the hub; v1 converts to it with From and back with TryFrom.
/// let conversion = Conversion::<v2::Widget>::hub().spoke::<v1::Widget>();
/// assert_eq!(conversion.crd_name(), "widgets.example.com");
/// ```
#[must_use]
pub struct Conversion<H: Kind> {
    versions: BTreeMap<String, (ToHub<H>, FromHub<H>)>,
    mismatched: Vec<String>,
}

impl<H> Conversion<H>
where
    H: Kind + Serialize + DeserializeOwned,
{
    /// `H` as the hub of its Kind, with no spokes yet.
    pub fn hub() -> Self {
        let mut versions = BTreeMap::new();
        versions.insert(
            H::api_version(&()).into_owned(),
            (hub_in::<H> as ToHub<H>, hub_out::<H> as FromHub<H>),
        );
        Conversion {
            versions,
            mismatched: Vec::new(),
        }
    }

    /// Adds `S`, a spoke: it converts to the hub with `H: TryFrom<S>` (or `From`) and back with
    /// `S: TryFrom<H>`. `S` must be another version of the same group and Kind.
    pub fn spoke<S>(mut self) -> Self
    where
        S: Kind + Serialize + DeserializeOwned + TryFrom<H>,
        H: TryFrom<S>,
        <S as TryFrom<H>>::Error: Display,
        <H as TryFrom<S>>::Error: Display,
    {
        if S::group(&()) != H::group(&()) || S::kind(&()) != H::kind(&()) {
            self.mismatched.push(format!(
                "{} {} is not a version of {} {}",
                S::api_version(&()),
                S::kind(&()),
                H::group(&()),
                H::kind(&())
            ));
        }
        self.versions.insert(
            S::api_version(&()).into_owned(),
            (
                spoke_in::<S, H> as ToHub<H>,
                spoke_out::<S, H> as FromHub<H>,
            ),
        );
        self
    }

    /// The name of the CRD this conversion serves (`<plural>.<group>`).
    pub fn crd_name(&self) -> String {
        format!("{}.{}", H::plural(&()), H::group(&()))
    }

    /// The versions that convert, as `group/version`.
    pub fn api_versions(&self) -> Vec<String> {
        self.versions.keys().cloned().collect()
    }

    /// Problems that make the conversion unusable (spokes of another Kind).
    pub(crate) fn problems(&self) -> &[String] {
        &self.mismatched
    }

    /// The conversion with its hub type erased, for the webhook server.
    pub(crate) fn into_handler(self) -> ConversionHandler {
        let versions = self.versions;
        ConversionHandler {
            convert: Arc::new(move |object, desired| convert(&versions, object, desired)),
        }
    }
}

/// Converts one object to the desired `group/version`.
type Convert = Arc<dyn Fn(Value, &str) -> Result<Value, String> + Send + Sync>;

/// A conversion with its hub type erased.
#[derive(Clone)]
pub(crate) struct ConversionHandler {
    convert: Convert,
}

impl ConversionHandler {
    /// Converts every object of `request` to its desired version, or fails the review.
    pub(crate) fn review(&self, request: ConversionRequest) -> ConversionResponse {
        let desired = request.desired_api_version.clone();
        let objects = request.objects.clone();
        let response = ConversionResponse::for_request(request);
        let converted: Result<Vec<Value>, String> = objects
            .into_iter()
            .map(|object| (self.convert)(object, &desired))
            .collect();
        match converted {
            Ok(objects) => response.success(objects),
            Err(message) => {
                let mut status = Status::failure(&message, "Invalid");
                status.code = 422;
                response.failure(status)
            }
        }
    }
}

fn convert<H>(
    versions: &BTreeMap<String, (ToHub<H>, FromHub<H>)>,
    object: Value,
    desired: &str,
) -> Result<Value, String> {
    let from = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or("an object without apiVersion cannot be converted")?
        .to_string();
    if from == desired {
        return Err(format!("{from} needs no conversion to itself"));
    }
    let unknown = |version: &str| {
        format!(
            "{version} is not a version this webhook converts; it knows {}",
            versions.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    let (to_hub, _) = versions.get(&from).ok_or_else(|| unknown(&from))?;
    let (_, from_hub) = versions.get(desired).ok_or_else(|| unknown(desired))?;
    let hub = to_hub(object).map_err(|error| format!("converting from {from}: {error}"))?;
    from_hub(&hub).map_err(|error| format!("converting to {desired}: {error}"))
}

fn hub_in<H: DeserializeOwned>(object: Value) -> Result<H, String> {
    serde_json::from_value(object).map_err(|error| error.to_string())
}

fn hub_out<H: Kind + Serialize>(hub: &H) -> Result<Value, String> {
    typed(
        serde_json::to_value(hub).map_err(|error| error.to_string())?,
        H::api_version(&()),
        H::kind(&()),
    )
}

fn spoke_in<S, H>(object: Value) -> Result<H, String>
where
    S: DeserializeOwned,
    H: TryFrom<S>,
    <H as TryFrom<S>>::Error: Display,
{
    let spoke: S = serde_json::from_value(object).map_err(|error| error.to_string())?;
    H::try_from(spoke).map_err(|error| error.to_string())
}

fn spoke_out<S, H>(hub: &H) -> Result<Value, String>
where
    S: Kind + Serialize + TryFrom<H>,
    H: Clone,
    <S as TryFrom<H>>::Error: Display,
{
    let spoke = S::try_from(hub.clone()).map_err(|error| error.to_string())?;
    let value = serde_json::to_value(&spoke).map_err(|error| error.to_string())?;
    typed(value, S::api_version(&()), S::kind(&()))
}

/// `value` with the apiVersion and kind of its type: a `From` impl that copies the other
/// version's type fields must not leak them.
fn typed(
    mut value: Value,
    api_version: std::borrow::Cow<'_, str>,
    kind: std::borrow::Cow<'_, str>,
) -> Result<Value, String> {
    let fields = value
        .as_object_mut()
        .ok_or("a converted object must serialize to a JSON object")?;
    fields.insert("apiVersion".into(), api_version.into_owned().into());
    fields.insert("kind".into(), kind.into_owned().into());
    Ok(value)
}
