//! The generated code of markers: key tables, value checks, `Marker` and `PrintColumn` values.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Ident, LitStr};

use crate::keys::{Arg, ArgValue, Keys};
use crate::value;

/// The markers on a value's own schema — allowed on fields, on newtypes and inside
/// `items(...)` / `values(...)` — followed by `$extra`.
macro_rules! value_keys {
    ($($extra:literal),*) => {
        &[
            "minimum",
            "maximum",
            "exclusive_minimum",
            "exclusive_maximum",
            "multiple_of",
            "min_length",
            "max_length",
            "pattern",
            "format",
            "enum",
            "min_items",
            "max_items",
            "unique_items",
            "min_properties",
            "max_properties",
            "default",
            "nullable",
            "preserve_unknown_fields",
            "embedded_resource",
            "int_or_string",
            "cel",
            "immutable",
            "list_type",
            "list_map_keys",
            "map_type",
            "struct_type",
            "title",
            "example",
            "schema_type",
            "schemaless",
            "items",
            "values",
            $($extra),*
        ]
    };
}

pub const FIELD_KEYS: Keys = Keys {
    context: "field marker",
    valid: value_keys!("optional", "required", "print_column"),
    repeatable: &["cel", "print_column"],
};

/// The keys of `items(...)` and `values(...)`: the value markers.
const VALUE_KEYS: Keys = Keys {
    context: "item marker",
    valid: value_keys!(),
    repeatable: &["cel"],
};

pub const TYPE_KEYS: Keys = Keys {
    context: "type marker",
    valid: &[
        "cel",
        "exactly_one_of",
        "at_most_one_of",
        "min_properties",
        "max_properties",
        "struct_type",
        "map_type",
        "preserve_unknown_fields",
        "title",
        "schema_type",
        "schemaless",
        "subresource_status",
    ],
    repeatable: &["cel", "exactly_one_of", "at_most_one_of"],
};

const CEL_KEYS: Keys = Keys {
    context: "cel",
    valid: &[
        "rule",
        "message",
        "message_expression",
        "reason",
        "field_path",
        "optional_old_self",
    ],
    repeatable: &[],
};

const PRINT_COLUMN_KEYS: Keys = Keys {
    context: "print_column",
    valid: &[
        "name",
        "type",
        "json_path",
        "description",
        "format",
        "priority",
    ],
    repeatable: &[],
};

const CEL_REASONS: &[&str] = &[
    "FieldValueInvalid",
    "FieldValueForbidden",
    "FieldValueRequired",
    "FieldValueDuplicate",
];
const LIST_TYPES: &[&str] = &["atomic", "set", "map"];
const MAP_TYPES: &[&str] = &["granular", "atomic"];
const COLUMN_TYPES: &[&str] = &["integer", "number", "string", "boolean", "date"];
const SCHEMA_TYPES: &[&str] = &["string", "integer", "number", "boolean", "object", "array"];

/// The marker code of one field: its names, markers and print columns.
pub struct FieldCode {
    pub rust: String,
    pub json: String,
    pub markers: Vec<TokenStream>,
    pub columns: Vec<TokenStream>,
    /// The expression giving the schemars name of the field's type, when it has one of its own.
    pub schema_name: Option<TokenStream>,
}

fn marker(variant: &str, payload: Option<TokenStream>) -> TokenStream {
    let variant = format_ident!("{variant}");
    match payload {
        Some(payload) => quote!(::kubesmith::schema::Marker::#variant(#payload)),
        None => quote!(::kubesmith::schema::Marker::#variant),
    }
}

/// The code for one field's markers; `ty` is the field's Rust type (`None` for type-level
/// markers), from which a print column's type is inferred when not given.
pub fn field_code(
    rust: String,
    json: String,
    ty: Option<&syn::Type>,
    args: &[Arg],
) -> syn::Result<FieldCode> {
    let mut markers = Vec::new();
    let mut columns = Vec::new();
    let has = |key: &str| args.iter().find(|arg| arg.name() == key);
    if let (Some(optional), Some(_)) = (has("optional"), has("required")) {
        return Err(optional.error("a field cannot be both optional and required"));
    }
    check_shape(args, ty)?;
    let mut values = Vec::new();
    for arg in args {
        match arg.name().as_str() {
            "print_column" => columns.push(print_column(arg, &json, ty)?),
            "optional" | "required" => {
                if value::flag(arg)? {
                    markers.push(marker(&pascal(&arg.name()), None));
                }
            }
            _ => values.push(arg),
        }
    }
    markers.extend(value_markers(&values)?);
    Ok(FieldCode {
        rust,
        json,
        markers,
        columns,
        schema_name: None,
    })
}

/// The markers of one value's schema (a field, a newtype, the items of a list or the values
/// of a map).
fn value_markers(args: &[&Arg]) -> syn::Result<Vec<TokenStream>> {
    check_list_keys(args)?;
    let mut markers = Vec::new();
    for arg in args {
        if let Some(code) = value_marker(arg)? {
            markers.push(code);
        }
    }
    Ok(markers)
}

/// `list_map_keys` goes with `list_type = "map"` and the other way round.
fn check_list_keys(args: &[&Arg]) -> syn::Result<()> {
    let has = |key: &str| args.iter().find(|arg| arg.name() == key);
    match (has("list_type"), has("list_map_keys")) {
        (Some(list_type), None) if value::string(list_type)?.value() == "map" => Err(list_type
            .error(
                "list_type = \"map\" needs list_map_keys = [\"...\"] naming the key fields of the items",
            )),
        (Some(list_type), Some(keys)) if value::string(list_type)?.value() != "map" => {
            Err(keys.error("list_map_keys needs list_type = \"map\""))
        }
        (None, Some(keys)) => Err(keys.error("list_map_keys needs list_type = \"map\"")),
        _ => Ok(()),
    }
}

/// The code of one value marker; `None` for a flag set to `false`.
fn value_marker(arg: &Arg) -> syn::Result<Option<TokenStream>> {
    let name = arg.name();
    let code = match name.as_str() {
        "minimum" => marker("Minimum", Some(value::number(arg)?)),
        "maximum" => marker("Maximum", Some(value::number(arg)?)),
        "exclusive_minimum" => marker("ExclusiveMinimum", Some(value::number(arg)?)),
        "exclusive_maximum" => marker("ExclusiveMaximum", Some(value::number(arg)?)),
        "multiple_of" => marker("MultipleOf", Some(value::number(arg)?)),
        "min_length" | "max_length" | "min_items" | "max_items" | "min_properties"
        | "max_properties" => {
            let count = value::count(arg)?;
            marker(&pascal(&name), Some(quote!(#count)))
        }
        "pattern" | "format" | "title" => {
            let text = value::string(arg)?;
            marker(&pascal(&name), Some(quote!(#text)))
        }
        "enum" => {
            let values = value::literals(arg)?;
            marker("Enum", Some(quote!(::std::vec![#(#values),*])))
        }
        "unique_items" => {
            return Err(arg.error(
                "the API server rejects uniqueItems: true in CRD schemas; use list_type = \"set\" (scalar items) or list_type = \"map\"",
            ));
        }
        "default" | "example" => marker(&pascal(&name), Some(value::json_value(arg)?)),
        "nullable"
        | "preserve_unknown_fields"
        | "embedded_resource"
        | "int_or_string"
        | "schemaless" => {
            if !value::flag(arg)? {
                return Ok(None);
            }
            marker(&pascal(&name), None)
        }
        "cel" => cel_marker(arg)?,
        "immutable" => {
            let message = match &arg.value {
                ArgValue::Flag => quote!(::std::option::Option::None),
                _ => {
                    let message = value::string(arg)?;
                    quote!(::std::option::Option::Some(#message))
                }
            };
            marker("Immutable", Some(message))
        }
        "list_type" => {
            let list_type = value::choice(arg, LIST_TYPES)?;
            marker("ListType", Some(quote!(#list_type)))
        }
        "list_map_keys" => {
            let keys = value::strings(arg)?;
            marker("ListMapKeys", Some(quote!(::std::vec![#(#keys),*])))
        }
        "map_type" | "struct_type" => {
            let kind = value::choice(arg, MAP_TYPES)?;
            marker(&pascal(&name), Some(quote!(#kind)))
        }
        "schema_type" => {
            let schema_type = value::choice(arg, SCHEMA_TYPES)?;
            marker("SchemaType", Some(quote!(#schema_type)))
        }
        "items" | "values" => {
            let ArgValue::Nested(tokens) = &arg.value else {
                return Err(arg.error(format!(
                    "expected `{name}(max_length = 63, ...)` with the markers of each {}",
                    if name == "items" { "item" } else { "value" }
                )));
            };
            let inner = VALUE_KEYS.parse(tokens.clone())?;
            if inner.is_empty() {
                return Err(arg.error("name at least one marker"));
            }
            let markers = value_markers(&inner.iter().collect::<Vec<_>>())?;
            marker(&pascal(&name), Some(quote!(::std::vec![#(#markers),*])))
        }
        _ => return Err(arg.error("not a value marker")),
    };
    Ok(Some(code))
}

/// `items(...)` needs a list and `values(...)` a map: refused where the field's type is
/// plainly something else.
fn check_shape(args: &[Arg], ty: Option<&syn::Type>) -> syn::Result<()> {
    let Some(shape) = ty.and_then(shape_of) else {
        return Ok(());
    };
    for arg in args {
        let wanted = match arg.name().as_str() {
            "items" => Shape::List,
            "values" => Shape::Map,
            _ => continue,
        };
        if shape != wanted {
            return Err(arg.error(format!(
                "this field is {}; `items(...)` applies to a Vec, `values(...)` to a map",
                shape.describe()
            )));
        }
    }
    Ok(())
}

/// What a Rust type serializes as, where the syntax tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    List,
    Map,
    Scalar,
}

impl Shape {
    fn describe(self) -> &'static str {
        match self {
            Shape::List => "a list",
            Shape::Map => "a map",
            Shape::Scalar => "a scalar",
        }
    }
}

/// The shape of `ty` looking through `Option` and `Box`; `None` when the syntax does not say.
fn shape_of(ty: &syn::Type) -> Option<Shape> {
    let last = match ty {
        syn::Type::Array(_) | syn::Type::Slice(_) => return Some(Shape::List),
        syn::Type::Path(path) => path.path.segments.last()?,
        _ => return None,
    };
    match last.ident.to_string().as_str() {
        "Option" | "Box" => match &last.arguments {
            syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
                syn::GenericArgument::Type(inner) => shape_of(inner),
                _ => None,
            },
            _ => None,
        },
        "Vec" | "VecDeque" | "BTreeSet" | "HashSet" => Some(Shape::List),
        "BTreeMap" | "HashMap" | "IndexMap" => Some(Shape::Map),
        "String" | "str" | "bool" | "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64"
        | "f32" | "f64" => Some(Shape::Scalar),
        _ => None,
    }
}

pub fn type_markers(args: &[Arg], fields: &[FieldCode]) -> syn::Result<Vec<TokenStream>> {
    let mut markers = Vec::new();
    for arg in args {
        let name = arg.name();
        let code = match name.as_str() {
            "cel" => cel_marker(arg)?,
            "exactly_one_of" | "at_most_one_of" => {
                let ArgValue::Nested(tokens) = &arg.value else {
                    return Err(arg.error(format!("expected `{name}(field_a, field_b)`")));
                };
                let idents = syn::parse::Parser::parse2(
                    syn::punctuated::Punctuated::<Ident, syn::Token![,]>::parse_terminated,
                    tokens.clone(),
                )?;
                if idents.len() < 2 {
                    return Err(arg.error("name at least two fields"));
                }
                let mut json = Vec::new();
                for ident in &idents {
                    let rust = ident.to_string();
                    let Some(field) = fields.iter().find(|field| field.rust == rust) else {
                        let known = fields.iter().map(|f| f.rust.as_str()).collect::<Vec<_>>();
                        return Err(syn::Error::new(
                            ident.span(),
                            format!("no field `{rust}` here; fields: {}", known.join(", ")),
                        ));
                    };
                    json.push(field.json.clone());
                }
                marker(&pascal(&name), Some(quote!(::std::vec![#(#json),*])))
            }
            "min_properties" | "max_properties" => {
                let count = value::count(arg)?;
                marker(&pascal(&name), Some(quote!(#count)))
            }
            "struct_type" | "map_type" => {
                let kind = value::choice(arg, MAP_TYPES)?;
                marker(&pascal(&name), Some(quote!(#kind)))
            }
            "preserve_unknown_fields" => {
                if !value::flag(arg)? {
                    continue;
                }
                marker("PreserveUnknownFields", None)
            }
            // As on a newtype: the type's own schema (controller-gen's `Type=`, `title`,
            // `Schemaless` on a type with named fields that serializes another way).
            "title" | "schema_type" | "schemaless" => match value_marker(arg)? {
                Some(code) => code,
                None => continue,
            },
            // Not a schema marker: read by the kind (`subresource_status`).
            "subresource_status" => continue,
            _ => return Err(arg.error("not a type marker")),
        };
        markers.push(code);
    }
    Ok(markers)
}

fn cel_marker(arg: &Arg) -> syn::Result<TokenStream> {
    let none = quote!(::std::option::Option::None);
    let some = |lit: LitStr| quote!(::std::option::Option::Some(#lit));
    let mut rule: Option<LitStr> = None;
    let (mut message, mut message_expression) = (none.clone(), none.clone());
    let (mut reason, mut field_path) = (none.clone(), none);
    let mut optional_old_self = false;
    match &arg.value {
        ArgValue::Expr(_) => rule = Some(value::string(arg)?),
        ArgValue::Nested(tokens) => {
            for inner in CEL_KEYS.parse(tokens.clone())? {
                match inner.name().as_str() {
                    "rule" => rule = Some(value::string(&inner)?),
                    "message" => message = some(value::string(&inner)?),
                    "message_expression" => message_expression = some(value::string(&inner)?),
                    "reason" => reason = some(value::choice(&inner, CEL_REASONS)?),
                    "field_path" => field_path = some(value::string(&inner)?),
                    "optional_old_self" => optional_old_self = value::flag(&inner)?,
                    _ => return Err(inner.error("not a cel key")),
                }
            }
        }
        ArgValue::Flag => {
            return Err(
                arg.error("expected `cel = \"rule\"` or `cel(rule = \"...\", message = \"...\")`")
            );
        }
    }
    let Some(rule) = rule else {
        return Err(arg.error("missing `rule = \"...\"`"));
    };
    Ok(marker(
        "Cel",
        Some(quote!(::kubesmith::schema::CelRule {
            rule: #rule,
            message: #message,
            message_expression: #message_expression,
            reason: #reason,
            field_path: #field_path,
            optional_old_self: #optional_old_self,
        })),
    ))
}

fn print_column(arg: &Arg, json: &str, ty: Option<&syn::Type>) -> syn::Result<TokenStream> {
    let tokens = match &arg.value {
        ArgValue::Nested(tokens) => tokens.clone(),
        ArgValue::Flag => TokenStream::new(),
        ArgValue::Expr(_) => {
            return Err(arg.error(
                "expected `print_column` or `print_column(type = \"string\", name = \"...\")`",
            ));
        }
    };
    let none = quote!(::std::option::Option::None);
    let mut name = capitalize(json);
    let mut column_type = None;
    let mut json_path = format!(".{json}");
    let mut absolute = false;
    let (mut description, mut format, mut priority) = (none.clone(), none.clone(), none);
    for inner in PRINT_COLUMN_KEYS.parse(tokens)? {
        match inner.name().as_str() {
            "name" => name = value::string(&inner)?.value(),
            "type" => column_type = Some(value::choice(&inner, COLUMN_TYPES)?),
            "json_path" => {
                json_path = value::string(&inner)?.value();
                absolute = true;
            }
            "description" => {
                let text = value::string(&inner)?;
                description = quote!(::std::option::Option::Some(#text));
            }
            "format" => {
                let text = value::string(&inner)?;
                format = quote!(::std::option::Option::Some(#text));
            }
            "priority" => {
                let count = value::count(&inner)?;
                let count = i32::try_from(count).map_err(|_| inner.error("too large"))?;
                priority = quote!(::std::option::Option::Some(#count));
            }
            _ => return Err(inner.error("not a print_column key")),
        }
    }
    let inferred = || {
        ty.and_then(column_type_of)
            .map(|name| LitStr::new(&name, arg.key.span()))
    };
    let Some(column_type) = column_type.or_else(inferred) else {
        return Err(arg.error(format!(
            "cannot infer the column type of this field; add `type = \"...\"` (one of {})",
            COLUMN_TYPES.join(", ")
        )));
    };
    Ok(quote!(::kubesmith::schema::PrintColumn {
        name: #name,
        type_: #column_type,
        json_path: ::std::borrow::Cow::Borrowed(#json_path),
        absolute: #absolute,
        description: #description,
        format: #format,
        priority: #priority,
    }))
}

/// The print-column type of a field's Rust type, looking through `Option` and `Box`:
/// strings → `string`, integers → `integer`, floats → `number`, `bool` → `boolean`,
/// Kubernetes `Time`/`MicroTime` → `date`; `None` for anything else.
fn column_type_of(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let ident = last.ident.to_string();
    if matches!(ident.as_str(), "Option" | "Box") {
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        return match args.args.first()? {
            syn::GenericArgument::Type(inner) => column_type_of(inner),
            _ => None,
        };
    }
    let column = match ident.as_str() {
        "String" | "str" => "string",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => "integer",
        "f32" | "f64" => "number",
        "bool" => "boolean",
        "Time" | "MicroTime" => "date",
        _ => return None,
    };
    Some(column.to_string())
}

fn pascal(snake: &str) -> String {
    snake.split('_').map(capitalize).collect()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::column_type_of;

    fn inferred(ty: &str) -> Option<String> {
        column_type_of(&syn::parse_str(ty).expect("a Rust type"))
    }

    #[test]
    fn column_types_follow_the_rust_type_through_option_and_box() {
        assert_eq!(inferred("String").as_deref(), Some("string"));
        assert_eq!(inferred("Option<i32>").as_deref(), Some("integer"));
        assert_eq!(inferred("Option<Box<u64>>").as_deref(), Some("integer"));
        assert_eq!(inferred("f64").as_deref(), Some("number"));
        assert_eq!(
            inferred("std::option::Option<bool>").as_deref(),
            Some("boolean")
        );
        assert_eq!(inferred("Option<meta::v1::Time>").as_deref(), Some("date"));
    }

    #[test]
    fn other_types_are_not_guessed() {
        for ty in [
            "Vec<String>",
            "BTreeMap<String, String>",
            "Quantity",
            "(i32, i32)",
        ] {
            assert_eq!(inferred(ty), None, "{ty}");
        }
    }
}
