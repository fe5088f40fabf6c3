//! Deterministic YAML: keys sorted, whole-number floats written as integers.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::error::Error;

/// `object` as JSON with `apiVersion` and `kind` set (k8s-openapi omits them on plain structs).
pub fn with_type<T: Serialize + k8s_openapi::Resource>(object: &T, kind: &str) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::String(T::API_VERSION.into()));
        map.insert("kind".into(), Value::String(kind.into()));
    }
    value
}

/// Each object as a `---`-separated YAML document.
pub fn documents<T: Serialize>(path: &Path, objects: &[&T]) -> Result<String, Error> {
    let mut out = String::new();
    for object in objects {
        let render_error = |reason: String| Error::Render {
            path: path.to_path_buf(),
            reason,
        };
        let mut value = serde_json::to_value(object).map_err(|e| render_error(e.to_string()))?;
        whole_numbers(&mut value);
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(&value).map_err(|e| render_error(e.to_string()))?);
    }
    Ok(out)
}

/// k8s-openapi keeps `minimum`, `maximum` and `multipleOf` as floats; `1.0` is written `1`.
fn whole_numbers(value: &mut Value) {
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() < 9.0e15
            {
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers),
        _ => {}
    }
}
