//! Compiles a parsed segment to a SQL `WHERE` clause over `customers`.
//! Values always travel as parameters; column names come from the allow-list.

use rusqlite::types::Value;

use super::fields::FieldKind;
use super::parser::{Expr, Literal};

/// A `WHERE` condition and its positional (`?`) parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    pub condition: String,
    pub params: Vec<Value>,
}

/// Compiles `expr`; `now_millis` anchors `within`.
pub fn compile(expr: Option<&Expr>, now_millis: i64) -> SqlFilter {
    let mut params = Vec::new();
    let condition = match expr {
        None => "1".to_string(),
        Some(e) => emit(e, now_millis, &mut params),
    };
    SqlFilter { condition, params }
}

fn emit(expr: &Expr, now: i64, params: &mut Vec<Value>) -> String {
    match expr {
        Expr::And(a, b) => format!("({} AND {})", emit(a, now, params), emit(b, now, params)),
        Expr::Or(a, b) => format!("({} OR {})", emit(a, now, params), emit(b, now, params)),
        // IFNULL: a customer with no email is "not (email = x)", not unknown.
        Expr::Not(inner) => format!("NOT IFNULL({}, 0)", emit(inner, now, params)),
        Expr::Compare { field, op, value } => {
            params.push(to_value(value));
            format!("{}{} {} ?", field.column, collation(field.kind), op.sql())
        }
        Expr::In { field, values } => {
            params.extend(values.iter().map(to_value));
            let marks = vec!["?"; values.len()].join(", ");
            format!("{}{} IN ({marks})", field.column, collation(field.kind))
        }
        Expr::Contains { field, value } => {
            params.push(Value::Text(value.clone()));
            format!(
                "EXISTS (SELECT 1 FROM json_each(customers.{}) WHERE value = ? COLLATE NOCASE)",
                field.column
            )
        }
        Expr::Within { field, millis } => {
            params.push(Value::Integer(now.saturating_sub(*millis)));
            format!("{} >= ?", field.column)
        }
    }
}

/// Text matches ignore case: `level = Gold` finds `gold`.
fn collation(kind: FieldKind) -> &'static str {
    if kind == FieldKind::Text {
        " COLLATE NOCASE"
    } else {
        ""
    }
}

fn to_value(literal: &Literal) -> Value {
    match literal {
        Literal::Text(s) => Value::Text(s.clone()),
        Literal::Int(n) => Value::Integer(*n),
        Literal::Bool(b) => Value::Integer(i64::from(*b)),
    }
}
