//! `key = value, flag, key(nested, ...)` argument lists with typo-proof keys.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

/// One argument: its key and what follows it.
pub struct Arg {
    pub key: Ident,
    pub value: ArgValue,
}

/// What follows a key.
pub enum ArgValue {
    /// `key` alone.
    Flag,
    /// `key = expr`.
    Expr(Expr),
    /// `key(...)`: the tokens inside the parentheses.
    Nested(TokenStream),
}

impl Arg {
    /// The key as written.
    pub fn name(&self) -> String {
        self.key.unraw().to_string()
    }

    /// An error pointing at this argument's key.
    pub fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new(self.key.span(), format!("`{}`: {message}", self.name()))
    }
}

/// Which keys an argument list accepts, and which of them may repeat.
pub struct Keys {
    /// What the list belongs to, for messages (`field marker`, `rbac rule`).
    pub context: &'static str,
    pub valid: &'static [&'static str],
    pub repeatable: &'static [&'static str],
}

impl Keys {
    /// Parses `tokens`, rejecting unknown keys (the error lists the valid ones) and repeats.
    pub fn parse(&self, tokens: TokenStream) -> syn::Result<Vec<Arg>> {
        let parser = |input: ParseStream| {
            Punctuated::<Arg, Token![,]>::parse_terminated_with(input, parse_arg)
        };
        let args = parser.parse2(tokens)?.into_iter().collect::<Vec<_>>();
        let mut seen: Vec<String> = Vec::new();
        for arg in &args {
            let name = arg.name();
            if !self.valid.contains(&name.as_str()) {
                return Err(arg.error(format!(
                    "unknown {} key; valid keys are: {}",
                    self.context,
                    self.valid.join(", ")
                )));
            }
            if seen.contains(&name) && !self.repeatable.contains(&name.as_str()) {
                return Err(arg.error("given twice"));
            }
            seen.push(name);
        }
        Ok(args)
    }
}

fn parse_arg(input: ParseStream) -> syn::Result<Arg> {
    let key = Ident::parse_any(input)?;
    let value = if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        ArgValue::Expr(input.parse()?)
    } else if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        ArgValue::Nested(content.parse()?)
    } else {
        ArgValue::Flag
    };
    Ok(Arg { key, value })
}

/// An error at the call site, for problems not tied to one token.
pub fn error_here(message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(Span::call_site(), message)
}

/// The key of one `#[attr(key ...)]` item, as written.
pub fn meta_key(meta: &syn::meta::ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Consumes what follows a key that is not ours (`= value` or `(...)`), so parsing continues.
pub fn skip_meta_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}
