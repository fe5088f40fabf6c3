//! What the macro reads from kube's `#[kube(...)]`, and the `CustomResourceMarkers` impl.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Ident};

use crate::keys::{meta_key, skip_meta_value};

/// What the macro needs from `#[kube(...)]`: the root kind and the status type.
pub struct KubeAttrs {
    root: String,
    status: Option<syn::Path>,
}

impl KubeAttrs {
    pub fn read(attrs: &[Attribute]) -> syn::Result<Option<Self>> {
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

    pub fn custom_resource_impl(&self, spec: &Ident) -> TokenStream {
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
