//! Typed values of marker arguments, checked at compile time.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, UnOp};

use crate::keys::{Arg, ArgValue};

fn expr<'a>(arg: &'a Arg, expected: &str) -> syn::Result<&'a Expr> {
    match &arg.value {
        ArgValue::Expr(expr) => Ok(expr),
        _ => Err(arg.error(format!("expected `{} = {expected}`", arg.name()))),
    }
}

/// `expr` without the invisible group `macro_rules!` puts around fragments like `$x:literal`.
pub fn peel(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(group) => peel(&group.expr),
        other => other,
    }
}

fn literal(expr: &Expr) -> Option<(&Lit, bool)> {
    match peel(expr) {
        Expr::Lit(ExprLit { lit, .. }) => Some((lit, false)),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match peel(expr) {
            Expr::Lit(ExprLit { lit, .. }) => Some((lit, true)),
            _ => None,
        },
        _ => None,
    }
}

/// A number (integer or float, possibly negative), as `serde_json::Value` tokens.
pub fn number(arg: &Arg) -> syn::Result<TokenStream> {
    let value = expr(arg, "a number")?;
    match literal(value) {
        Some((Lit::Int(_) | Lit::Float(_), _)) => Ok(json(value.to_token_stream())),
        _ => Err(arg.error(format!(
            "expected a number, found `{}`",
            value.to_token_stream()
        ))),
    }
}

/// A non-negative integer.
pub fn count(arg: &Arg) -> syn::Result<u64> {
    let value = expr(arg, "a non-negative integer")?;
    match literal(value) {
        Some((Lit::Int(int), false)) => int.base10_parse(),
        _ => Err(arg.error(format!(
            "expected a non-negative integer, found `{}`",
            value.to_token_stream()
        ))),
    }
}

/// A string literal.
pub fn string(arg: &Arg) -> syn::Result<LitStr> {
    let value = expr(arg, "\"...\"")?;
    match literal(value) {
        Some((Lit::Str(string), false)) => Ok(string.clone()),
        _ => Err(arg.error(format!(
            "expected a string literal, found `{}`",
            value.to_token_stream()
        ))),
    }
}

/// A string literal that must be one of `choices`.
pub fn choice(arg: &Arg, choices: &[&str]) -> syn::Result<LitStr> {
    let value = string(arg)?;
    if choices.contains(&value.value().as_str()) {
        Ok(value)
    } else {
        Err(arg.error(format!(
            "expected one of {}, found {:?}",
            choices.join(", "),
            value.value()
        )))
    }
}

/// `key` alone (true) or `key = true|false`.
pub fn flag(arg: &Arg) -> syn::Result<bool> {
    match &arg.value {
        ArgValue::Flag => Ok(true),
        ArgValue::Expr(expr) => match peel(expr) {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(value),
                ..
            }) => Ok(value.value),
            _ => Err(arg.error(format!(
                "expected `{}` or `{} = true|false`",
                arg.name(),
                arg.name()
            ))),
        },
        _ => Err(arg.error(format!(
            "expected `{}` or `{} = true|false`",
            arg.name(),
            arg.name()
        ))),
    }
}

/// `["a", "b"]` or `("a", "b")`: a non-empty list of string literals.
pub fn strings(arg: &Arg) -> syn::Result<Vec<LitStr>> {
    let items = match &arg.value {
        ArgValue::Expr(expr) if matches!(peel(expr), Expr::Array(_)) => match peel(expr) {
            Expr::Array(array) => array.elems.iter().cloned().collect::<Vec<_>>(),
            _ => Vec::new(),
        },
        ArgValue::Nested(tokens) => syn::parse::Parser::parse2(
            syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
            tokens.clone(),
        )?
        .into_iter()
        .collect(),
        _ => return Err(arg.error("expected a list of strings: `[\"a\", \"b\"]`")),
    };
    let strings = items
        .iter()
        .map(|item| match literal(item) {
            Some((Lit::Str(string), false)) => Ok(string.clone()),
            _ => Err(arg.error(format!(
                "expected a string literal in the list, found `{}`",
                item.to_token_stream()
            ))),
        })
        .collect::<syn::Result<Vec<_>>>()?;
    if strings.is_empty() {
        return Err(arg.error("the list is empty"));
    }
    Ok(strings)
}

/// `[lit, ...]`: a non-empty list of literals, as `serde_json::Value` tokens.
pub fn literals(arg: &Arg) -> syn::Result<Vec<TokenStream>> {
    let ArgValue::Expr(expr) = &arg.value else {
        return Err(arg.error("expected a list of literals: `[\"a\", \"b\"]` or `[1, 2]`"));
    };
    let Expr::Array(array) = peel(expr) else {
        return Err(arg.error("expected a list of literals: `[\"a\", \"b\"]` or `[1, 2]`"));
    };
    if array.elems.is_empty() {
        return Err(arg.error("the list is empty"));
    }
    array
        .elems
        .iter()
        .map(|item| match literal(item) {
            Some(_) => Ok(json(item.to_token_stream())),
            None => Err(arg.error(format!(
                "expected a literal, found `{}`",
                item.to_token_stream()
            ))),
        })
        .collect()
}

/// A JSON value: a literal, a list of literals, or `json!(...)` for anything else.
pub fn json_value(arg: &Arg) -> syn::Result<TokenStream> {
    let value = expr(arg, "a literal, `[...]` or `json!({...})`")?;
    match peel(value) {
        Expr::Macro(mac) if mac.mac.path.is_ident("json") => Ok(json(mac.mac.tokens.clone())),
        Expr::Array(_) => Ok(json(value.to_token_stream())),
        _ if literal(value).is_some() => Ok(json(value.to_token_stream())),
        _ => Err(arg.error(format!(
            "expected a literal, `[...]` or `json!({{...}})`, found `{}`",
            value.to_token_stream()
        ))),
    }
}

fn json(tokens: TokenStream) -> TokenStream {
    quote!(::kubesmith::__private::serde_json::json!(#tokens))
}
