//! What the macro reads from kube's `#[kube(...)]`, and the `CustomResourceMarkers` impl.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Attribute, Ident};

use crate::keys::{meta_key, skip_meta_value};

/// What the macro needs from `#[kube(...)]`: the root kind, the status type, and whether
/// the plural is left to kube-derive while the singular is not.
pub struct KubeAttrs {
    root: String,
    status: Option<syn::Path>,
    kind: Option<String>,
    singular_without_plural: bool,
    /// `#[k8s(subresource_status)]`: the status subresource without a status type.
    pub subresource_status: bool,
}

impl KubeAttrs {
    pub fn read(attrs: &[Attribute]) -> syn::Result<Option<Self>> {
        let (mut kind, mut root, mut status) = (None, None, None);
        let (mut singular, mut plural) = (None, None);
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("kube")) {
            attr.parse_nested_meta(|meta| {
                let slot = match meta_key(&meta).as_str() {
                    "kind" => &mut kind,
                    "root" => &mut root,
                    "status" => &mut status,
                    "singular" => &mut singular,
                    "plural" => &mut plural,
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
        let Some(root) = root.or(kind.clone()) else {
            return Ok(None);
        };
        let status = status
            .map(|path| syn::parse_str::<syn::Path>(&path))
            .transpose()?;
        Ok(Some(KubeAttrs {
            root,
            status,
            kind,
            singular_without_plural: singular.is_some() && plural.is_none(),
            subresource_status: false,
        }))
    }

    /// `#[kube(plural = "...")]` from the Kind when only the singular is given: kube-derive
    /// would pluralize the singular (`singular = "mycronjob"` → `mycronjobs`), which renames
    /// the CRD; controller-gen and kubebuilder take the plural from the Kind.
    pub fn plural_attr(&self) -> Option<Attribute> {
        if !self.singular_without_plural {
            return None;
        }
        let plural = plural_of(&self.kind.as_ref()?.to_lowercase());
        Some(syn::parse_quote!(#[kube(plural = #plural)]))
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
        let subresource_status = self.subresource_status;
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

                fn subresource_status() -> bool {
                    #subresource_status
                }
            }
        }
    }
}

/// The English plural of a lowercase Kind, with the rules kube-derive applies to Kinds
/// without a singular: `-es` after s, x, z, ch and sh; `-ies` for a consonant before a final
/// `y`; `-s` otherwise.
fn plural_of(word: &str) -> String {
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|ending| word.ends_with(ending))
    {
        return format!("{word}es");
    }
    if let Some(stem) = word.strip_suffix('y')
        && stem
            .chars()
            .last()
            .is_some_and(|before| !"aeiou".contains(before))
    {
        return format!("{stem}ies");
    }
    format!("{word}s")
}

#[cfg(test)]
mod tests {
    use super::plural_of;

    #[test]
    fn plurals_follow_kube_derive() {
        for (kind, plural) in [
            ("cronjob", "cronjobs"),
            ("policy", "policies"),
            ("gateway", "gateways"),
            ("ingress", "ingresses"),
            ("box", "boxes"),
            ("batch", "batches"),
        ] {
            assert_eq!(plural_of(kind), plural);
        }
    }
}
