//! `#[derive(Rbac)]`: `#[rbac(...)]` attributes become `kubesmith::rbac::RbacRules`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::keys::{ArgValue, Keys};
use crate::value;

const RULE_KEYS: Keys = Keys {
    context: "rbac rule",
    valid: &[
        "groups",
        "resources",
        "verbs",
        "resource_names",
        "urls",
        "namespace",
    ],
    repeatable: &[],
};

/// Expands `#[derive(Rbac)]`.
pub fn expand(item: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(item)?;
    let mut rules = Vec::new();
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("rbac"))
    {
        let args = RULE_KEYS.parse(attr.meta.require_list()?.tokens.clone())?;
        let list = |key: &str| -> syn::Result<Vec<syn::LitStr>> {
            match args.iter().find(|arg| arg.name() == key) {
                Some(arg) if matches!(arg.value, ArgValue::Flag) => {
                    Err(arg.error("expected a list: `[\"a\", \"b\"]`"))
                }
                Some(arg) => value::strings(arg),
                None => Ok(Vec::new()),
            }
        };
        let (groups, resources, verbs) = (list("groups")?, list("resources")?, list("verbs")?);
        let (names, urls) = (list("resource_names")?, list("urls")?);
        if verbs.is_empty() {
            return Err(syn::Error::new_spanned(
                attr,
                "an rbac rule needs `verbs = [...]`",
            ));
        }
        if urls.is_empty() && resources.is_empty() {
            return Err(syn::Error::new_spanned(
                attr,
                "an rbac rule needs `resources = [...]` (with `groups`) or `urls = [...]`",
            ));
        }
        let resource_parts = !(resources.is_empty() && groups.is_empty() && names.is_empty());
        if !urls.is_empty() && resource_parts {
            return Err(syn::Error::new_spanned(
                attr,
                "`urls` (non-resource URLs) cannot be combined with groups, resources or resource_names",
            ));
        }
        let namespace = match args.iter().find(|arg| arg.name() == "namespace") {
            Some(arg) => {
                let namespace = value::string(arg)?;
                if !urls.is_empty() {
                    return Err(arg.error("non-resource URLs exist only in the ClusterRole"));
                }
                quote!(::std::option::Option::Some(#namespace.to_string()))
            }
            None => quote!(::std::option::Option::None),
        };
        rules.push(quote!(::kubesmith::rbac::Rule {
            groups: ::std::vec![#(#groups.to_string()),*],
            resources: ::std::vec![#(#resources.to_string()),*],
            resource_names: ::std::vec![#(#names.to_string()),*],
            verbs: ::std::vec![#(#verbs.to_string()),*],
            urls: ::std::vec![#(#urls.to_string()),*],
            namespace: #namespace,
        }));
    }
    if rules.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Rbac)] needs at least one #[rbac(groups = [...], resources = [...], verbs = [...])]",
        ));
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::kubesmith::rbac::RbacRules for #ident #ty_generics #where_clause {
            fn rbac_rules() -> ::std::vec::Vec<::kubesmith::rbac::Rule> {
                ::std::vec![#(#rules),*]
            }
        }
    })
}
