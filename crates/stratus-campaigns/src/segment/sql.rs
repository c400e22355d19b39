//! Compiles a parsed segment to a SQL `WHERE` clause over `customers`.
//! Values always travel as parameters; column names come from the allow-list.
//! `level` is not a column: it is the profile's level table applied to
//! `points` (see [`crate::gamify`]); `did` reads the events cache (see
//! [`super::behaviour`]).

use rusqlite::types::Value;

use super::fields::{FieldKind, SegmentField};
use super::parser::{Expr, Literal};
use crate::gamify::LevelTable;

/// A `WHERE` condition and its positional (`?`) parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    pub condition: String,
    pub params: Vec<Value>,
}

/// What a segment is compiled against.
struct Context<'a> {
    /// Anchors `within`.
    now: i64,
    levels: &'a LevelTable,
}

/// Compiles `expr`; `now_millis` anchors `within`, `levels` gives `level`.
pub fn compile(expr: Option<&Expr>, now_millis: i64, levels: &LevelTable) -> SqlFilter {
    let mut params = Vec::new();
    let cx = Context {
        now: now_millis,
        levels,
    };
    let condition = match expr {
        None => "1".to_string(),
        Some(e) => emit(e, &cx, &mut params),
    };
    SqlFilter { condition, params }
}

/// The SQL a field reads: its column, or for `level` the level table over
/// `points` (whose parameters go first, as they come first in the text).
fn column(field: &SegmentField, cx: &Context<'_>, params: &mut Vec<Value>) -> String {
    if field.name == "level" {
        let (case, case_params) = cx.levels.sql_case("points");
        params.extend(case_params);
        return case;
    }
    field.column.to_string()
}

fn emit(expr: &Expr, cx: &Context<'_>, params: &mut Vec<Value>) -> String {
    let now = cx.now;
    match expr {
        Expr::And(a, b) => format!("({} AND {})", emit(a, cx, params), emit(b, cx, params)),
        Expr::Or(a, b) => format!("({} OR {})", emit(a, cx, params), emit(b, cx, params)),
        // IFNULL: a customer with no email is "not (email = x)", not unknown.
        Expr::Not(inner) => format!("NOT IFNULL({}, 0)", emit(inner, cx, params)),
        Expr::Compare { field, op, value } => {
            let column = column(field, cx, params);
            params.push(to_value(value));
            format!("{column}{} {} ?", collation(field.kind), op.sql())
        }
        Expr::In { field, values } => {
            let column = column(field, cx, params);
            params.extend(values.iter().map(to_value));
            let marks = vec!["?"; values.len()].join(", ");
            format!("{column}{} IN ({marks})", collation(field.kind))
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
        Expr::Did(did) => did.sql(now, params),
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
