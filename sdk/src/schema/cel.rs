//! CEL validation rules: parsed with the `cel` crate and checked against the schema node.
//!
//! The check resolves every field selection on `self` and `oldSelf` (and on comprehension
//! variables bound to list items or map values) against the schema, reports unknown variables,
//! and infers simple types to catch `size()` on scalars, comparisons between unrelated types,
//! boolean operators on non-booleans and rules that do not yield a bool. Function overloads
//! beyond these, and types of values under `x-kubernetes-preserve-unknown-fields` or
//! int-or-string, are not checked (they are `dyn`).

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::parser::Parser;
use serde_json::Value;

/// The type of an expression, as far as the check knows it.
#[derive(Clone, Debug)]
enum Ty<'s> {
    /// An object schema node with properties.
    Object(&'s Value),
    Bool,
    Int,
    Double,
    String,
    Bytes,
    Null,
    List(Box<Ty<'s>>),
    Map(Box<Ty<'s>>),
    Dyn,
}

impl Ty<'_> {
    fn name(&self) -> &'static str {
        match self {
            Ty::Object(_) => "object",
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Double => "double",
            Ty::String => "string",
            Ty::Bytes => "bytes",
            Ty::Null => "null",
            Ty::List(_) => "list",
            Ty::Map(_) => "map",
            Ty::Dyn => "dyn",
        }
    }

    fn numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Double)
    }

    fn known(&self) -> bool {
        !matches!(self, Ty::Dyn)
    }
}

/// The CEL type of values a schema node describes.
fn of_schema(schema: &Value) -> Ty<'_> {
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
    if flag("x-kubernetes-int-or-string") {
        return Ty::Dyn;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => Ty::Int,
        Some("number") => Ty::Double,
        // date-time and duration strings are timestamps and durations in Kubernetes CEL.
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("date-time" | "duration" | "date") => Ty::Dyn,
            Some("byte") => Ty::Bytes,
            _ => Ty::String,
        },
        Some("boolean") => Ty::Bool,
        Some("array") => Ty::List(Box::new(schema.get("items").map_or(Ty::Dyn, of_schema))),
        Some("object") => match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) => Ty::Map(Box::new(of_schema(values))),
            _ if schema.get("properties").is_some() => Ty::Object(schema),
            _ => Ty::Dyn,
        },
        _ => Ty::Dyn,
    }
}

fn unescape_property(name: &str) -> String {
    name.replace("__dash__", "-")
        .replace("__dot__", ".")
        .replace("__slash__", "/")
        .replace("__underscores__", "__")
}

/// Identifiers a rule may use besides `self`, `oldSelf` and comprehension variables.
const GLOBALS: &[&str] = &[
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
    "duration",
    "timestamp",
    "optional",
    // Namespaces of the Kubernetes CEL libraries (`format.dns1123Label()`, `math.greatest()`).
    "format",
    "math",
    "strings",
    "sets",
    "lists",
];

struct Checker<'s> {
    vars: Vec<(String, Ty<'s>)>,
    errors: Vec<String>,
}

/// Problems with one `x-kubernetes-validations` entry on the node `schema`.
pub fn check_rule(rule: &Value, schema: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(text) = rule.get("rule").and_then(Value::as_str) else {
        return vec![format!(
            "a CEL validation needs a rule string, found {rule}"
        )];
    };
    let optional_old_self = rule.get("optionalOldSelf").and_then(Value::as_bool) == Some(true);
    let self_ty = of_schema(schema);
    let old_ty = if optional_old_self {
        Ty::Dyn
    } else {
        self_ty.clone()
    };
    let mut checker = Checker {
        vars: vec![("self".into(), self_ty), ("oldSelf".into(), old_ty)],
        errors: Vec::new(),
    };
    errors.extend(checker.expression("CEL rule", text, Ty::Bool));
    if let Some(message) = rule.get("messageExpression").and_then(Value::as_str) {
        errors.extend(checker.expression("messageExpression", message, Ty::String));
    }
    if let Some(path) = rule.get("fieldPath").and_then(Value::as_str)
        && let Err(error) = check_field_path(path, schema)
    {
        errors.push(format!("fieldPath {path:?}: {error}"));
    }
    if let Some(reason) = rule.get("reason").and_then(Value::as_str)
        && !matches!(
            reason,
            "FieldValueInvalid"
                | "FieldValueForbidden"
                | "FieldValueRequired"
                | "FieldValueDuplicate"
        )
    {
        errors.push(format!("reason {reason:?} is not one of FieldValueInvalid, FieldValueForbidden, FieldValueRequired, FieldValueDuplicate"));
    }
    errors
}

fn parse(text: &str) -> Result<IdedExpr, String> {
    Parser::new()
        .enable_optional_syntax(true)
        .parse(text)
        .map_err(|error| error.to_string().replace('\n', " "))
}

/// A fieldPath like `.spec.a.b` or `.a['b-c']` must name properties of the node.
fn check_field_path(path: &str, schema: &Value) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('.') else {
        return Err("must start with `.`".into());
    };
    let mut node = schema;
    for segment in rest.split('.') {
        let name = segment.trim_start_matches("['").trim_end_matches("']");
        node = node
            .get("properties")
            .and_then(|properties| properties.get(name))
            .ok_or_else(|| format!("no property {name:?}"))?;
    }
    Ok(())
}

impl<'s> Checker<'s> {
    /// Parses and checks one expression that must yield `expected`; problems start with `label`.
    fn expression(&mut self, label: &str, text: &str, expected: Ty<'s>) -> Vec<String> {
        let mut errors = Vec::new();
        match parse(text) {
            Ok(expr) => {
                let ty = self.ty_of(&expr);
                if ty.known() && std::mem::discriminant(&ty) != std::mem::discriminant(&expected) {
                    errors.push(format!(
                        "{label} {text:?} yields {}, expected {}",
                        ty.name(),
                        expected.name()
                    ));
                }
            }
            Err(error) => errors.push(format!("{label} {text:?} does not parse: {error}")),
        }
        errors.extend(
            self.errors
                .drain(..)
                .map(|e| format!("{label} {text:?}: {e}")),
        );
        errors
    }

    fn lookup(&self, name: &str) -> Option<Ty<'s>> {
        self.vars
            .iter()
            .rev()
            .find(|(var, _)| var == name)
            .map(|(_, ty)| ty.clone())
    }

    fn select(&mut self, operand: Ty<'s>, field: &str) -> Ty<'s> {
        let name = unescape_property(field);
        match operand {
            Ty::Object(node) => match node.get("properties").and_then(|p| p.get(&name)) {
                Some(property) => of_schema(property),
                None if node
                    .get("x-kubernetes-preserve-unknown-fields")
                    .and_then(Value::as_bool)
                    == Some(true) =>
                {
                    Ty::Dyn
                }
                None => {
                    let known = node
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default();
                    self.errors
                        .push(format!("no field {name:?} in the schema (fields: {known})"));
                    Ty::Dyn
                }
            },
            Ty::Map(values) => *values,
            Ty::Dyn => Ty::Dyn,
            other => {
                self.errors
                    .push(format!("cannot select `.{field}` on a {}", other.name()));
                Ty::Dyn
            }
        }
    }

    fn ty_of(&mut self, expr: &IdedExpr) -> Ty<'s> {
        match &expr.expr {
            Expr::Ident(name) => self.lookup(name).unwrap_or_else(|| {
                if !GLOBALS.contains(&name.as_str()) {
                    self.errors
                        .push(format!("undeclared reference to `{name}`"));
                }
                Ty::Dyn
            }),
            Expr::Select(select) => {
                let operand = self.ty_of(&select.operand);
                let ty = self.select(operand, &select.field);
                if select.test { Ty::Bool } else { ty }
            }
            Expr::Literal(literal) => match literal {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::Int(_) | LiteralValue::UInt(_) => Ty::Int,
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
            },
            Expr::List(list) => {
                let items: Vec<Ty<'s>> = list.elements.iter().map(|e| self.ty_of(e)).collect();
                Ty::List(Box::new(items.into_iter().next().unwrap_or(Ty::Dyn)))
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(entry) = &entry.expr {
                        self.ty_of(&entry.key);
                        self.ty_of(&entry.value);
                    }
                }
                Ty::Map(Box::new(Ty::Dyn))
            }
            Expr::Comprehension(comprehension) => {
                let range = self.ty_of(&comprehension.iter_range);
                let (first, second) = match range {
                    Ty::List(items) => (Ty::Int, *items),
                    Ty::Map(values) => (Ty::String, *values),
                    Ty::Object(_) => (Ty::String, Ty::Dyn),
                    Ty::Dyn => (Ty::Dyn, Ty::Dyn),
                    other => {
                        self.errors
                            .push(format!("cannot iterate over a {}", other.name()));
                        (Ty::Dyn, Ty::Dyn)
                    }
                };
                let depth = self.vars.len();
                let init = self.ty_of(&comprehension.accu_init);
                self.vars.push((
                    comprehension.accu_var.clone(),
                    if matches!(init, Ty::Bool) {
                        Ty::Bool
                    } else {
                        Ty::Dyn
                    },
                ));
                match &comprehension.iter_var2 {
                    // One variable: list items or map keys.
                    None => {
                        let item = if matches!(first, Ty::Int) {
                            second
                        } else {
                            first
                        };
                        self.vars.push((comprehension.iter_var.clone(), item));
                    }
                    Some(var2) => {
                        self.vars.push((comprehension.iter_var.clone(), first));
                        self.vars.push((var2.clone(), second));
                    }
                }
                self.ty_of(&comprehension.loop_cond);
                self.ty_of(&comprehension.loop_step);
                let result = self.ty_of(&comprehension.result);
                self.vars.truncate(depth);
                result
            }
            Expr::Call(call) => self.call(&call.func_name, call.target.as_deref(), &call.args),
            Expr::Struct(_) | Expr::Unspecified => Ty::Dyn,
        }
    }

    fn call(&mut self, name: &str, target: Option<&IdedExpr>, args: &[IdedExpr]) -> Ty<'s> {
        let target_ty = target.map(|t| self.ty_of(t));
        let tys: Vec<Ty<'s>> = args.iter().map(|a| self.ty_of(a)).collect();
        let both = |tys: &[Ty<'s>]| match tys {
            [a, b] => Some((a.clone(), b.clone())),
            _ => None,
        };
        match name {
            "size" => {
                let subject = target_ty
                    .or_else(|| tys.first().cloned())
                    .unwrap_or(Ty::Dyn);
                if !matches!(
                    subject,
                    Ty::String | Ty::Bytes | Ty::List(_) | Ty::Map(_) | Ty::Dyn
                ) {
                    self.errors.push(format!(
                        "size() needs a string, bytes, list or map, found {}",
                        subject.name()
                    ));
                }
                Ty::Int
            }
            "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" => {
                if let Some((a, b)) = both(&tys) {
                    let ordered = !matches!(name, "_==_" | "_!=_");
                    let comparable = !a.known()
                        || !b.known()
                        || (a.numeric() && b.numeric())
                        || (!ordered && (matches!(a, Ty::Null) || matches!(b, Ty::Null)))
                        || std::mem::discriminant(&a) == std::mem::discriminant(&b);
                    let orderable = matches!(
                        a,
                        Ty::Int | Ty::Double | Ty::String | Ty::Bytes | Ty::Bool | Ty::Dyn
                    );
                    if !comparable || (ordered && !orderable) {
                        self.errors.push(format!(
                            "`{}` cannot compare a {} with a {}",
                            operator(name),
                            a.name(),
                            b.name()
                        ));
                    }
                }
                Ty::Bool
            }
            "_&&_" | "_||_" | "!_" => {
                for ty in &tys {
                    if ty.known() && !matches!(ty, Ty::Bool) {
                        self.errors.push(format!(
                            "`{}` needs bool operands, found {}",
                            operator(name),
                            ty.name()
                        ));
                    }
                }
                Ty::Bool
            }
            "_?_:_" => tys.get(1).cloned().unwrap_or(Ty::Dyn),
            "_+_" | "_-_" | "_*_" | "_/_" | "_%_" => match both(&tys) {
                Some((a, b)) if a.known() && b.known() => {
                    let fits = (a.numeric() && b.numeric())
                        || (name == "_+_"
                            && std::mem::discriminant(&a) == std::mem::discriminant(&b)
                            && matches!(a, Ty::String | Ty::List(_) | Ty::Bytes));
                    if !fits {
                        self.errors.push(format!(
                            "`{}` cannot combine a {} with a {}",
                            operator(name),
                            a.name(),
                            b.name()
                        ));
                    }
                    a
                }
                _ => Ty::Dyn,
            },
            "-_" => tys.first().cloned().unwrap_or(Ty::Dyn),
            "_[_]" => match both(&tys) {
                Some((Ty::List(items), _)) => *items,
                Some((Ty::Map(values), _)) => *values,
                _ => Ty::Dyn,
            },
            "@in" => Ty::Bool,
            "matches" | "startsWith" | "endsWith" | "contains" => {
                if let Some(subject) = target_ty.filter(Ty::known)
                    && !matches!(subject, Ty::String)
                {
                    self.errors
                        .push(format!("{name}() needs a string, found {}", subject.name()));
                }
                Ty::Bool
            }
            "int" => Ty::Int,
            "double" => Ty::Double,
            "string" => Ty::String,
            "bool" => Ty::Bool,
            _ => Ty::Dyn,
        }
    }
}

fn operator(name: &str) -> String {
    name.replace('_', "")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::check_rule;

    fn schema() -> serde_json::Value {
        json!({ "type": "object", "properties": {
            "replicas": { "type": "integer" },
            "name": { "type": "string" },
            "max-surge": { "type": "string" },
            "ports": { "type": "array", "items": { "type": "object", "properties": { "port": { "type": "integer" } } } },
            "labels": { "type": "object", "additionalProperties": { "type": "string" } },
        } })
    }

    fn check(rule: &str) -> Vec<String> {
        check_rule(&json!({ "rule": rule }), &schema())
    }

    #[test]
    fn rules_over_existing_fields_pass() {
        for rule in [
            "self.replicas >= 0 && self.name.size() < 10",
            "has(self.name) ? self.name.startsWith('a') : true",
            "self.ports.all(p, p.port > 0)",
            "self.labels.all(k, self.labels[k].size() < 64)",
            "self.max__dash__surge != ''",
            "self == oldSelf",
        ] {
            assert!(check(rule).is_empty(), "{rule}: {:?}", check(rule));
        }
    }

    #[test]
    fn kubernetes_library_rules_pass() {
        for rule in [
            "self.replicas == oldSelf.replicas || self.name.matches('^a')",
            "self.ports.exists_one(p, p.port == 80)",
            "self.ports.map(p, p.port).size() == self.ports.size()",
            "self.labels.all(k, k.startsWith('a'))",
            "self.?name.orValue('') != ''",
            "self.name in ['a', 'b']",
            "int(self.max__dash__surge) > 0",
            "duration(self.name) < duration('1h')",
            "quantity(self.name).isLessThan(quantity('1Gi'))",
            "!format.dns1123Label().validate(self.name).hasValue()",
            "math.greatest(self.replicas, 1) > 0",
            "type(self.name) == string",
        ] {
            assert!(check(rule).is_empty(), "{rule}: {:?}", check(rule));
        }
    }

    #[test]
    fn unknown_fields_and_variables_are_reported() {
        assert!(check("self.replica > 0")[0].contains("no field \"replica\""));
        assert!(check("self.ports.all(p, p.prot > 0)")[0].contains("no field \"prot\""));
        assert!(check("slef.name == ''")[0].contains("undeclared reference to `slef`"));
    }

    #[test]
    fn type_mismatches_are_reported() {
        assert!(
            check("self.replicas == 'three'")[0].contains("cannot compare a int with a string")
        );
        assert!(check("self.replicas.size() > 1")[0].contains("size() needs"));
        assert!(check("self.replicas + 1")[0].contains("yields int, expected bool"));
        assert!(check("self.name && true")[0].contains("needs bool operands"));
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(check("self.replicas >")[0].contains("does not parse"));
    }
}
