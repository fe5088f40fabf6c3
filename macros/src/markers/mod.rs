//! `#[kubesmith::markers]`: `#[k8s(...)]` markers on types and fields become a schemars
//! transform (`kubesmith::schema::SchemaMarkers`) and, for the spec struct, print columns of
//! the custom resource (`kubesmith::schema::CustomResourceMarkers`).

mod codes;
mod kube;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Fields, Item, ItemEnum, ItemStruct, parse_quote};

use crate::keys::{Arg, Keys, error_here, meta_key, skip_meta_value};
use crate::serde_names::{SerdeAttrs, rename};
use codes::{FIELD_KEYS, FieldCode, TYPE_KEYS, field_code, type_markers};
use kube::KubeAttrs;

/// The attribute holding markers.
const MARKER_ATTR: &str = "k8s";

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
        let mut code = field_code(rust, json, Some(&field.ty), &args)?;
        code.schema_name = schema_name(field);
        codes.push(code);
    }
    let own = type_markers(&type_args, &codes)?;
    let mut kube = KubeAttrs::read(&item.attrs)?;
    if let Some(arg) = type_args
        .iter()
        .find(|arg| arg.name() == "subresource_status")
    {
        let enabled = crate::value::flag(arg)?;
        match kube.as_mut() {
            Some(kube) => kube.subresource_status = enabled,
            None => {
                return Err(
                    arg.error("belongs on the spec struct of a kind (the one with #[kube(...)])")
                );
            }
        }
    }
    if let Some(plural) = kube.as_ref().and_then(KubeAttrs::plural_attr) {
        item.attrs.push(plural);
    }
    finish(item, codes, own, kube)
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
    let own = field_code(String::new(), String::new(), None, &args)?.markers;
    finish(item, Vec::new(), own, None)
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
    finish(item, Vec::new(), own, None)
}

/// Emits the item (markers removed) with its transform attribute and the trait implementations.
fn finish(
    item: impl Into<Item>,
    fields: Vec<FieldCode>,
    own: Vec<TokenStream>,
    kube: Option<KubeAttrs>,
) -> syn::Result<TokenStream> {
    let mut item = item.into();
    let (mut attrs, ident, generics) = match &mut item {
        Item::Struct(item) => (
            std::mem::take(&mut item.attrs),
            item.ident.clone(),
            item.generics.clone(),
        ),
        Item::Enum(item) => (
            std::mem::take(&mut item.attrs),
            item.ident.clone(),
            item.generics.clone(),
        ),
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "#[kubesmith::markers] applies to structs and enums",
            ));
        }
    };
    let (ident, generics, body) = (&ident, &generics, quote!(#item));
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    attrs.push(parse_quote!(#[schemars(transform = <Self as ::kubesmith::schema::SchemaMarkers>::apply_markers)]));
    let type_name = ident.to_string();
    let field_entries = fields.iter().map(|field| {
        let FieldCode {
            rust,
            json,
            markers,
            schema_name,
            ..
        } = field;
        let schema_name = schema_name
            .clone()
            .unwrap_or_else(|| quote!(::std::borrow::Cow::Borrowed("")));
        quote!(::kubesmith::schema::FieldMarkers {
            rust: #rust,
            json: #json,
            markers: ::std::vec![#(#markers),*],
            schema_name: #schema_name,
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

/// The schemars name of a field's type (`io.k8s.api.core.v1.PodTemplateSpec`,
/// `Array_of_...`), by which embedded Kubernetes types are recognised; `None` when
/// `#[schemars(with = ..)]` or `schema_with` gives the field another schema.
fn schema_name(field: &syn::Field) -> Option<TokenStream> {
    let mut replaced = false;
    for attr in field
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("schemars"))
    {
        // A malformed attribute is schemars' to report; it just gives no name here.
        let _ = attr.parse_nested_meta(|meta| {
            replaced |= matches!(meta_key(&meta).as_str(), "with" | "schema_with");
            skip_meta_value(&meta)
        });
    }
    if replaced {
        return None;
    }
    let ty = &field.ty;
    Some(quote!(<#ty as ::kubesmith::__private::schemars::JsonSchema>::schema_name()))
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
