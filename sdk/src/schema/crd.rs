//! The checked CRD of a custom resource kind (what `make manifests` writes).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceSubresourceStatus,
};

use super::check::{SchemaError, check_crd};
use super::conform;
use super::marker::PrintColumn;
use super::names;
use super::transform::CustomResourceMarkers;

/// The CRD of `K` with marker print columns and `listKind` (`<Kind>List`) added, checked by
/// [`check_crd`].
///
/// ```
/// # use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// #[kubesmith::markers]
/// #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
/// #[kube(group = "example.com", version = "v1", kind = "Widget")]
/// pub struct WidgetSpec {
///     #[k8s(pattern = "^[a-z]+$")]
///     pub name: String,
/// }
/// let crd = kubesmith::schema::crd::<Widget>()?;
/// assert_eq!(crd.spec.names.kind, "Widget");
/// # Ok::<(), kubesmith::schema::SchemaError>(())
/// ```
pub fn crd<K: CustomResourceMarkers>() -> Result<CustomResourceDefinition, SchemaError> {
    let (built, names) = names::recording(|| std::panic::catch_unwind(K::crd));
    let mut crd = built.map_err(|panic| SchemaError::Generation {
        crd: K::crd_name().to_string(),
        message: panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_else(|| "kube-derive panicked".into()),
    })?;
    for version in &mut crd.spec.versions {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|schema| schema.open_api_v3_schema.as_mut())
        {
            conform::conform(schema, &names);
        }
    }
    if K::subresource_status() {
        for version in &mut crd.spec.versions {
            version
                .subresources
                .get_or_insert_with(Default::default)
                .status
                .get_or_insert_with(|| CustomResourceSubresourceStatus(serde_json::json!({})));
        }
    }
    let names_spec = &mut crd.spec.names;
    if names_spec.list_kind.is_none() {
        names_spec.list_kind = Some(format!("{}List", names_spec.kind));
    }
    let columns = K::print_columns();
    if !columns.is_empty()
        && let Some(version) = crd.spec.versions.first_mut()
    {
        let existing = version
            .additional_printer_columns
            .get_or_insert_with(Vec::new);
        existing.extend(columns.iter().map(PrintColumn::to_definition));
    }
    check_crd(&crd, &names)?;
    Ok(crd)
}
