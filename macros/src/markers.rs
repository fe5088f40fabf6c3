//! `#[kubesmith::markers]`: `#[k8s(...)]` markers on types and fields become a schemars
//! transform (`kubesmith::schema::SchemaMarkers`) and, for the spec struct, print columns of
//! the custom resource (`kubesmith::schema::CustomResourceMarkers`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Fields, Ident, Item, ItemEnum, ItemStruct, LitStr, parse_quote};

use crate::keys::{Arg, ArgValue, Keys, error_here, meta_key, skip_meta_value};
use crate::serde_names::{SerdeAttrs, rename};
use crate::value;

/// The attribute holding markers.
const MARKER_ATTR: &str = "k8s";

const FIELD_KEYS: Keys = Keys {
    context: "field marker",
    valid: &[
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
        "optional",
        "required",
        "preserve_unknown_fields",
        "embedded_resource",
        "int_or_string",
        "cel",
        "immutable",
        "list_type",
        "list_map_keys",
        "map_type",
        "struct_type",
        "print_column",
    ],
    repeatable: &["cel", "print_column"],
};

const TYPE_KEYS: Keys = Keys {
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

/// Expands `#[kubesmith::markers]` on a struct or enum.
pub fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(
            args,
            "#[kubesmith::markers] takes no arguments; put markers in #[k8s(...)] on the type and its fields",
        ));
    }
    match syn::parse2::<Item>(item)? {
        Item::Struct(item) => expand_struct(item),
        Item::Enum(item) => expand_enum(item),
        other => Err(syn::Error::new_spanned(
            other,
            "#[kubesmith::markers] applies to structs and enums",
        )),
    }
}

/// The marker code of one field: its names, markers and print columns.
struct FieldCode {
    rust: String,
    json: String,
    markers: Vec<TokenStream>,
    columns: Vec<TokenStream>,
}

fn expand_struct(mut item: ItemStruct) -> syn::Result<TokenStream> {
    let container = SerdeAttrs::read(&item.attrs)?;
    if let Fields::Unnamed(fields) = &item.fields
        && fields.unnamed.len() == 1
    {
        return expand_newtype(item);
    }
    let type_args = take_markers(&mut item.attrs, &TYPE_KEYS)?;
    let Fields::Named(fields) = &mut item.fields else {
        return Err(error_here(
            "#[kubesmith::markers] needs a struct with named fields or a newtype `struct Name(T);`",
        ));
    };
    let mut codes = Vec::new();
    for field in fields.named.iter_mut() {
        let serde = SerdeAttrs::read(&field.attrs)?;
        let args = take_markers(&mut field.attrs, &FIELD_KEYS)?;
        let Some(ident) = &field.ident else { continue };
        let rust = ident.to_string().trim_start_matches("r#").to_string();
        if serde.flatten || serde.skip {
            if let Some(arg) = args.first() {
                return Err(arg.error(format!(
                    "field `{rust}` is {} by serde and has no schema of its own; put markers on the fields of its type",
                    if serde.flatten { "flattened" } else { "skipped" }
                )));
            }
            continue;
        }
        let json = serde
            .rename
            .clone()
            .unwrap_or_else(|| rename(&rust, container.rename_all.as_deref(), false));
        codes.push(field_code(rust, json, &args)?);
    }
    let own = type_markers(&type_args, &codes)?;
    let kube = KubeAttrs::read(&item.attrs)?;
    let ident = item.ident.clone();
    let generics = item.generics.clone();
    let attrs = std::mem::take(&mut item.attrs);
    let body = quote!(#item);
    finish(attrs, &ident, &generics, body, codes, own, kube)
}

/// A newtype (`struct Name(String);`) serializes as its field: value markers on the type
/// apply to its own schema, like controller-gen's markers on `type Name string`.
fn expand_newtype(mut item: ItemStruct) -> syn::Result<TokenStream> {
    let args = take_markers(&mut item.attrs, &FIELD_KEYS)?;
    if let Some(arg) = args.iter().find(|arg| {
        matches!(
            arg.name().as_str(),
            "optional" | "required" | "print_column"
        )
    }) {
        return Err(arg.error("belongs on a field that uses this type, not on the type"));
    }
    let own = field_code(String::new(), String::new(), &args)?.markers;
    let attrs = std::mem::take(&mut item.attrs);
    let (ident, generics) = (item.ident.clone(), item.generics.clone());
    finish(
        attrs,
        &ident,
        &generics,
        quote!(#item),
        Vec::new(),
        own,
        None,
    )
}

fn expand_enum(mut item: ItemEnum) -> syn::Result<TokenStream> {
    let serde = SerdeAttrs::read(&item.attrs)?;
    let name = item.ident.to_string();
    if let Some(tag) = &serde.tag {
        let shape = if serde.content.is_some() {
            "adjacently tagged"
        } else {
            "internally tagged"
        };
        return Err(syn::Error::new_spanned(
            &item.ident,
            format!(
                "enum `{name}` is {shape} (#[serde(tag = {tag:?})]): its schema is not structural; use an externally tagged enum, or a struct with a `{tag}` enum field and optional fields per variant plus #[k8s(exactly_one_of(...))]"
            ),
        ));
    }
    if serde.untagged {
        return Err(syn::Error::new_spanned(
            &item.ident,
            format!(
                "enum `{name}` is #[serde(untagged)]: its schema is not structural; use a struct with optional fields and #[k8s(exactly_one_of(...))]"
            ),
        ));
    }
    let unit = item
        .variants
        .iter()
        .filter(|v| matches!(v.fields, Fields::Unit))
        .count();
    if unit != 0 && unit != item.variants.len() {
        return Err(syn::Error::new_spanned(
            &item.ident,
            format!(
                "enum `{name}` mixes unit variants and variants with data: a value would be a string or an object, which a structural schema cannot express; give every variant data or none"
            ),
        ));
    }
    for variant in item.variants.iter_mut() {
        for field in variant.fields.iter_mut() {
            if let Some(arg) = take_markers(&mut field.attrs, &FIELD_KEYS)?.first() {
                return Err(arg.error("markers on enum variant fields are not supported; move the fields into a struct"));
            }
        }
    }
    let type_args = take_markers(&mut item.attrs, &TYPE_KEYS)?;
    let own = type_markers(&type_args, &[])?;
    let ident = item.ident.clone();
    let generics = item.generics.clone();
    let attrs = std::mem::take(&mut item.attrs);
    finish(
        attrs,
        &ident,
        &generics,
        quote!(#item),
        Vec::new(),
        own,
        None,
    )
}

/// Emits the item with its transform attribute and the trait implementations.
fn finish(
    mut attrs: Vec<Attribute>,
    ident: &Ident,
    generics: &syn::Generics,
    body: TokenStream,
    fields: Vec<FieldCode>,
    own: Vec<TokenStream>,
    kube: Option<KubeAttrs>,
) -> syn::Result<TokenStream> {
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    attrs.push(parse_quote!(#[schemars(transform = <Self as ::kubesmith::schema::SchemaMarkers>::apply_markers)]));
    let type_name = ident.to_string();
    let field_entries = fields.iter().map(|field| {
        let FieldCode {
            rust,
            json,
            markers,
            ..
        } = field;
        quote!(::kubesmith::schema::FieldMarkers {
            rust: #rust,
            json: #json,
            markers: ::std::vec![#(#markers),*],
        })
    });
    let columns = fields.iter().flat_map(|field| field.columns.iter());
    let custom_resource = kube.map(|kube| kube.custom_resource_impl(ident));
    Ok(quote! {
        #(#attrs)*
        #body

        impl #impl_generics ::kubesmith::schema::SchemaMarkers for #ident #ty_generics #where_clause {
            fn markers() -> ::kubesmith::schema::TypeMarkers {
                ::kubesmith::schema::TypeMarkers {
                    type_name: #type_name,
                    fields: ::std::vec![#(#field_entries),*],
                    own: ::std::vec![#(#own),*],
                }
            }

            fn print_columns() -> ::std::vec::Vec<::kubesmith::schema::PrintColumn> {
                ::std::vec![#(#columns),*]
            }
        }

        #custom_resource
    })
}

/// Removes the `#[k8s(...)]` attributes from `attrs` and parses them.
fn take_markers(attrs: &mut Vec<Attribute>, keys: &Keys) -> syn::Result<Vec<Arg>> {
    let mut args = Vec::new();
    let mut kept = Vec::new();
    for attr in attrs.drain(..) {
        if attr.path().is_ident(MARKER_ATTR) {
            let tokens = attr.meta.require_list()?.tokens.clone();
            args.extend(keys.parse(tokens)?);
        } else {
            kept.push(attr);
        }
    }
    *attrs = kept;
    // Keys given in separate attributes may not repeat either.
    let mut seen: Vec<String> = Vec::new();
    for arg in &args {
        let name = arg.name();
        if seen.contains(&name) && !keys.repeatable.contains(&name.as_str()) {
            return Err(arg.error("given twice"));
        }
        seen.push(name);
    }
    Ok(args)
}

fn marker(variant: &str, payload: Option<TokenStream>) -> TokenStream {
    let variant = format_ident!("{variant}");
    match payload {
        Some(payload) => quote!(::kubesmith::schema::Marker::#variant(#payload)),
        None => quote!(::kubesmith::schema::Marker::#variant),
    }
}

fn field_code(rust: String, json: String, args: &[Arg]) -> syn::Result<FieldCode> {
    let mut markers = Vec::new();
    let mut columns = Vec::new();
    let has = |key: &str| args.iter().find(|arg| arg.name() == key);
    if let (Some(optional), Some(_)) = (has("optional"), has("required")) {
        return Err(optional.error("a field cannot be both optional and required"));
    }
    match (has("list_type"), has("list_map_keys")) {
        (Some(list_type), None) if value::string(list_type)?.value() == "map" => {
            return Err(list_type.error(
                "list_type = \"map\" needs list_map_keys = [\"...\"] naming the key fields of the items",
            ));
        }
        (Some(list_type), Some(keys)) if value::string(list_type)?.value() != "map" => {
            return Err(keys.error("list_map_keys needs list_type = \"map\""));
        }
        (None, Some(keys)) => return Err(keys.error("list_map_keys needs list_type = \"map\"")),
        _ => {}
    }
    for arg in args {
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
            "pattern" => {
                let pattern = value::string(arg)?;
                marker("Pattern", Some(quote!(#pattern)))
            }
            "format" => {
                let format = value::string(arg)?;
                marker("Format", Some(quote!(#format)))
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
            "default" => marker("Default", Some(value::json_value(arg)?)),
            "nullable"
            | "optional"
            | "required"
            | "preserve_unknown_fields"
            | "embedded_resource"
            | "int_or_string" => {
                if !value::flag(arg)? {
                    continue;
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
            "map_type" => {
                let map_type = value::choice(arg, MAP_TYPES)?;
                marker("MapType", Some(quote!(#map_type)))
            }
            "struct_type" => {
                let struct_type = value::choice(arg, MAP_TYPES)?;
                marker("StructType", Some(quote!(#struct_type)))
            }
            "print_column" => {
                columns.push(print_column(arg, &json)?);
                continue;
            }
            _ => return Err(arg.error("not a field marker")),
        };
        markers.push(code);
    }
    Ok(FieldCode {
        rust,
        json,
        markers,
        columns,
    })
}

fn type_markers(args: &[Arg], fields: &[FieldCode]) -> syn::Result<Vec<TokenStream>> {
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

fn print_column(arg: &Arg, json: &str) -> syn::Result<TokenStream> {
    let ArgValue::Nested(tokens) = &arg.value else {
        return Err(arg.error("expected `print_column(type = \"string\", name = \"...\")`"));
    };
    let none = quote!(::std::option::Option::None);
    let mut name = capitalize(json);
    let mut column_type = None;
    let mut json_path = format!(".{json}");
    let mut absolute = false;
    let (mut description, mut format, mut priority) = (none.clone(), none.clone(), none);
    for inner in PRINT_COLUMN_KEYS.parse(tokens.clone())? {
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
    let Some(column_type) = column_type else {
        return Err(arg.error(format!(
            "missing `type = \"...\"` (one of {})",
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

/// What the macro needs from `#[kube(...)]`: the root kind and the status type.
struct KubeAttrs {
    root: String,
    status: Option<syn::Path>,
}

impl KubeAttrs {
    fn read(attrs: &[Attribute]) -> syn::Result<Option<Self>> {
        let (mut kind, mut root, mut status) = (None, None, None);
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("kube")) {
            attr.parse_nested_meta(|meta| {
                let slot = match meta_key(&meta).as_str() {
                    "kind" => &mut kind,
                    "root" => &mut root,
                    "status" => &mut status,
                    _ => return skip_meta_value(&meta),
                };
                let value: syn::Expr = meta.value()?.parse()?;
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) = crate::value::peel(&value)
                {
                    *slot = Some(text.value());
                }
                Ok(())
            })?;
        }
        let Some(root) = root.or(kind) else {
            return Ok(None);
        };
        let status = status
            .map(|path| syn::parse_str::<syn::Path>(&path))
            .transpose()?;
        Ok(Some(KubeAttrs { root, status }))
    }

    fn custom_resource_impl(&self, spec: &Ident) -> TokenStream {
        let root = format_ident!("{}", self.root);
        let status = self.status.as_ref().map(|status| {
            quote! {
                columns.extend(::kubesmith::schema::PrintColumn::under(
                    ".status",
                    <#status as ::kubesmith::schema::SchemaMarkers>::print_columns(),
                ));
            }
        });
        quote! {
            impl ::kubesmith::schema::CustomResourceMarkers for #root {
                fn print_columns() -> ::std::vec::Vec<::kubesmith::schema::PrintColumn> {
                    let mut columns = ::kubesmith::schema::PrintColumn::under(
                        ".spec",
                        <#spec as ::kubesmith::schema::SchemaMarkers>::print_columns(),
                    );
                    #status
                    columns
                }
            }
        }
    }
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
