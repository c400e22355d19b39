//! The canonical spelling of a parsed segment: lower-case keywords, text
//! always quoted, durations in their largest whole unit, parentheses only
//! where the tree needs them. Parsing the spelling gives the same tree.

use std::fmt;

use super::behaviour::{Did, Times};
use super::parser::{Expr, Literal};

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `and` binds tighter than `or`; both join to the left, so a
            // right-hand side of either kind needs parentheses to stay there.
            Expr::Or(a, b) => {
                write!(f, "{a} or ")?;
                grouped(f, b, |e| matches!(e, Expr::Or(..)))
            }
            Expr::And(a, b) => {
                grouped(f, a, |e| matches!(e, Expr::Or(..)))?;
                f.write_str(" and ")?;
                grouped(f, b, |e| matches!(e, Expr::Or(..) | Expr::And(..)))
            }
            Expr::Not(inner) => match inner.as_ref() {
                Expr::In { field, values } => {
                    write!(f, "{} not in ", field.name)?;
                    list(f, values)
                }
                other => {
                    f.write_str("not ")?;
                    grouped(f, other, |e| matches!(e, Expr::Or(..) | Expr::And(..)))
                }
            },
            Expr::Compare { field, op, value } => {
                write!(f, "{} {} ", field.name, op.sql())?;
                literal(f, value)
            }
            Expr::In { field, values } => {
                write!(f, "{} in ", field.name)?;
                list(f, values)
            }
            Expr::Contains { field, value } => {
                write!(f, "{} contains ", field.name)?;
                quoted(f, value)
            }
            Expr::Within { field, millis } => {
                write!(f, "{} within {}", field.name, Duration(*millis))
            }
            Expr::Did(did) => did.fmt(f),
        }
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("did ")?;
        quoted(f, &self.event)?;
        let plural = |n: i64| if n == 1 { "time" } else { "times" };
        match self.times {
            Times::AtLeast(1) => {}
            Times::AtLeast(n) => write!(f, " at least {n} {}", plural(n))?,
            Times::AtMost(n) => write!(f, " at most {n} {}", plural(n))?,
        }
        if let Some(millis) = self.within {
            write!(f, " within {}", Duration(millis))?;
        }
        Ok(())
    }
}

fn grouped(
    f: &mut fmt::Formatter<'_>,
    expr: &Expr,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    if needs_parens(expr) {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

fn list(f: &mut fmt::Formatter<'_>, values: &[Literal]) -> fmt::Result {
    f.write_str("[")?;
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        literal(f, value)?;
    }
    f.write_str("]")
}

fn literal(f: &mut fmt::Formatter<'_>, value: &Literal) -> fmt::Result {
    match value {
        Literal::Text(s) => quoted(f, s),
        Literal::Int(n) => write!(f, "{n}"),
        Literal::Bool(b) => write!(f, "{b}"),
    }
}

/// `"…"` with `"` and `\` escaped, as the lexer reads them.
fn quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// A duration in the largest unit that divides it (every parsed duration is
/// whole minutes).
struct Duration(i64);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(i64, &str); 4] = [
            (7 * 86_400_000, "w"),
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
        ];
        let millis = self.0;
        if millis == 0 {
            return f.write_str("0d");
        }
        for (size, unit) in UNITS {
            if millis % size == 0 {
                return write!(f, "{}{unit}", millis / size);
            }
        }
        // Not reachable from parsed text; minutes, rounded down, keep the
        // spelling parseable.
        write!(f, "{}m", millis / 60_000)
    }
}
