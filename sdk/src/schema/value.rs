//! Validating a JSON value against a structural schema node (used for defaults).

use serde_json::Value;

/// The ways `value` breaks `schema`, each with its path below the node (`.a[0]`).
///
/// Covers type, nullable, enum, numeric limits, multipleOf, string length and pattern, item
/// and property counts, required properties, and unknown properties (pruned by the server,
/// so an error in a default). CEL rules and formats are not evaluated.
///
/// ```
/// use serde_json::json;
/// let schema = json!({ "type": "integer", "minimum": 1 });
/// assert!(kubesmith::schema::validate_value(&schema, &json!(2)).is_empty());
/// assert_eq!(kubesmith::schema::validate_value(&schema, &json!(0)).len(), 1);
/// ```
pub fn validate_value(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, value, "", &mut errors);
    errors
}

fn check(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(node) = schema.as_object() else {
        return;
    };
    let flag = |key: &str| node.get(key).and_then(Value::as_bool) == Some(true);
    let mut fail = |message: String| {
        let at = if path.is_empty() {
            String::new()
        } else {
            format!("at {path}: ")
        };
        errors.push(format!("{at}{message}"));
    };
    if value.is_null() {
        if !flag("nullable") {
            fail("null is not allowed (the schema is not nullable)".into());
        }
        return;
    }
    if flag("x-kubernetes-int-or-string") {
        if !(value.is_i64() || value.is_u64() || value.is_string()) {
            fail(format!("expected an integer or a string, found {value}"));
        }
        return;
    }
    if let Some(ty) = node.get("type").and_then(Value::as_str) {
        let matches = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !matches {
            fail(format!("expected type {ty}, found {value}"));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = node.get("enum")
        && !allowed.contains(value)
    {
        fail(format!(
            "{value} is not one of {}",
            Value::Array(allowed.clone())
        ));
    }
    if let Some(number) = value.as_f64() {
        let limit = |key: &str| node.get(key).and_then(Value::as_f64);
        if let Some(min) = limit("minimum") {
            let exclusive = flag("exclusiveMinimum");
            if number < min || (exclusive && number == min) {
                fail(format!(
                    "{value} is below the minimum {min}{}",
                    if exclusive { " (exclusive)" } else { "" }
                ));
            }
        }
        if let Some(max) = limit("maximum") {
            let exclusive = flag("exclusiveMaximum");
            if number > max || (exclusive && number == max) {
                fail(format!(
                    "{value} is above the maximum {max}{}",
                    if exclusive { " (exclusive)" } else { "" }
                ));
            }
        }
        if let Some(step) = limit("multipleOf")
            && step != 0.0
            && (number / step).fract() != 0.0
        {
            fail(format!("{value} is not a multiple of {step}"));
        }
    }
    let count = |key: &str| node.get(key).and_then(Value::as_u64);
    let mut bounds = |what: &str, len: usize, min: &str, max: &str| {
        let len = len as u64;
        if let Some(min) = count(min).filter(|min| len < *min) {
            fail(format!("{what} {len} is below the minimum {min}"));
        }
        if let Some(max) = count(max).filter(|max| len > *max) {
            fail(format!("{what} {len} is above the maximum {max}"));
        }
    };
    match value {
        Value::String(text) => {
            bounds("length", text.chars().count(), "minLength", "maxLength");
            if let Some(pattern) = node.get("pattern").and_then(Value::as_str)
                && let Ok(regex) = regex::Regex::new(pattern)
                && !regex.is_match(text)
            {
                errors.push(format!(
                    "{}{text:?} does not match {pattern:?}",
                    prefix(path)
                ));
            }
        }
        Value::Array(items) => {
            bounds("item count", items.len(), "minItems", "maxItems");
            if let Some(item_schema) = node.get("items") {
                for (index, item) in items.iter().enumerate() {
                    check(item_schema, item, &format!("{path}[{index}]"), errors);
                }
            }
        }
        Value::Object(map) => {
            bounds(
                "property count",
                map.len(),
                "minProperties",
                "maxProperties",
            );
            for required in node
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = required.as_str()
                    && !map.contains_key(name)
                {
                    errors.push(format!(
                        "{}required property {name:?} is missing",
                        prefix(path)
                    ));
                }
            }
            let properties = node.get("properties").and_then(Value::as_object);
            let additional = node.get("additionalProperties").filter(|a| a.is_object());
            for (key, item) in map {
                let child = format!("{path}.{key}");
                match (properties.and_then(|p| p.get(key)), additional) {
                    (Some(schema), _) | (None, Some(schema)) => check(schema, item, &child, errors),
                    (None, None) if !flag("x-kubernetes-preserve-unknown-fields") => {
                        errors.push(format!(
                            "{}unknown property {key:?} (the server would prune it)",
                            prefix(path)
                        ));
                    }
                    (None, None) => {}
                }
            }
        }
        _ => {}
    }
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("at {path}: ")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::validate_value;

    #[test]
    fn nested_defaults_are_checked_field_by_field() {
        let schema = json!({ "type": "object", "required": ["name"], "properties": {
            "name": { "type": "string", "pattern": "^[a-z]+$" },
            "ports": { "type": "array", "maxItems": 1, "items": { "type": "integer" } } } });
        assert!(validate_value(&schema, &json!({ "name": "web", "ports": [80] })).is_empty());
        let errors = validate_value(
            &schema,
            &json!({ "name": "Web", "ports": [80, "x"], "extra": 1 }),
        );
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            validate_value(&schema, &json!({}))
                .iter()
                .any(|e| e.contains("\"name\" is missing"))
        );
    }

    #[test]
    fn exclusive_limits_and_enums() {
        let schema =
            json!({ "type": "number", "minimum": 0, "exclusiveMinimum": true, "enum": [0, 1.5] });
        assert_eq!(validate_value(&schema, &json!(0)).len(), 1);
        assert!(validate_value(&schema, &json!(1.5)).is_empty());
        assert_eq!(validate_value(&schema, &json!(2)).len(), 1);
    }
}
