//! Recursive-descent parser: tokens to a typed [`Expr`], checked against the
//! allow-listed customer fields.
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | "(" expr ")" | test
//! test    := FIELD op value | FIELD ["not"] "in" "[" value ("," value)* "]"
//!          | FIELD "contains" value | FIELD "within" NUMBER UNIT
//!          | "did" EVENT [times] ["within" NUMBER UNIT]
//! times   := "at" ("least" | "most") NUMBER ["time" | "times"]
//! ```
//!
//! `EVENT` is a quoted name or a bare word. An event name the cache has
//! never seen is not an error: the cache may not have it yet.

use super::behaviour::{Did, Times, MAX_TIMES};
use super::fields::{FieldKind, SegmentField};
use super::lexer::{CmpOp, Token, TokenKind};
use super::SegmentError;

/// A literal on the right-hand side of a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// The parsed segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: &'static SegmentField,
        op: CmpOp,
        value: Literal,
    },
    In {
        field: &'static SegmentField,
        values: Vec<Literal>,
    },
    Contains {
        field: &'static SegmentField,
        value: String,
    },
    /// The timestamp field is no older than `millis` before now.
    Within {
        field: &'static SegmentField,
        millis: i64,
    },
    /// A behaviour test over the events cache.
    Did(Did),
}

impl Expr {
    /// Whether any test reads the events cache.
    pub fn reads_events(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => a.reads_events() || b.reads_events(),
            Expr::Not(inner) => inner.reads_events(),
            Expr::Did(_) => true,
            _ => false,
        }
    }
}

/// How deep `not` and `(` may nest: far beyond any real segment, and far
/// below what would overflow the stack (the parser, the SQL compiler and
/// dropping the tree all recurse once per level).
pub const MAX_NESTING: usize = 32;
/// How many `and`/`or` one segment may join: SQLite refuses expressions
/// nested 1,000 deep, and each one nests the SQL once more.
pub const MAX_JOINS: usize = 256;

pub struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// `not` and `(` currently open.
    nesting: usize,
    /// `and`/`or` seen so far.
    joins: usize,
}

impl Parser {
    pub fn new(tokens: Vec<Token>) -> Self {
        Parser {
            tokens,
            at: 0,
            nesting: 0,
            joins: 0,
        }
    }

    /// Parses the whole input; `None` for an empty segment (everyone).
    pub fn parse(mut self) -> Result<Option<Expr>, SegmentError> {
        if self.peek().kind == TokenKind::End {
            return Ok(None);
        }
        let expr = self.or()?;
        match &self.peek().kind {
            TokenKind::End => Ok(Some(expr)),
            TokenKind::RParen => {
                Err(self.unexpected("`and`, `or` or the end (this `)` has no `(`)"))
            }
            _ => Err(self.unexpected("`and`, `or` or the end of the segment")),
        }
    }

    fn peek(&self) -> &Token {
        // `tokenize` always ends with `End`, and `bump` never passes it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.at += 1;
        }
        token
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn unexpected(&self, expected: &str) -> SegmentError {
        let token = self.peek();
        SegmentError::new(token.position, expected, &token.kind.describe())
    }

    fn or(&mut self) -> Result<Expr, SegmentError> {
        let mut left = self.and()?;
        while self.is_keyword("or") {
            self.join()?;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, SegmentError> {
        let mut left = self.unary()?;
        while self.is_keyword("and") {
            self.join()?;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    /// Takes an `and`/`or`, counting it against [`MAX_JOINS`].
    fn join(&mut self) -> Result<(), SegmentError> {
        if self.joins == MAX_JOINS {
            return Err(self.unexpected(&format!("at most {MAX_JOINS} `and`/`or` in one segment")));
        }
        self.joins += 1;
        self.bump();
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, SegmentError> {
        let opens = self.is_keyword("not") || self.peek().kind == TokenKind::LParen;
        if !opens {
            return self.test();
        }
        if self.nesting == MAX_NESTING {
            return Err(self.unexpected(&format!(
                "a condition (`not` and `(` nest at most {MAX_NESTING} deep)"
            )));
        }
        self.nesting += 1;
        let expr = self.nested();
        self.nesting -= 1;
        expr
    }

    /// `not …` or `( … )`, one level deeper.
    fn nested(&mut self) -> Result<Expr, SegmentError> {
        if self.is_keyword("not") {
            self.bump();
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.bump();
        let inner = self.or()?;
        if self.peek().kind != TokenKind::RParen {
            return Err(self.unexpected("`)`"));
        }
        self.bump();
        Ok(inner)
    }

    fn test(&mut self) -> Result<Expr, SegmentError> {
        let token = self.peek().clone();
        let TokenKind::Word(name) = &token.kind else {
            return Err(self.unexpected("a field name, `did`, `not` or `(`"));
        };
        if name.eq_ignore_ascii_case("did") {
            self.bump();
            return self.did();
        }
        let field = SegmentField::find(name).ok_or_else(|| {
            SegmentError::new(
                token.position,
                &format!("a field name ({}) or `did`", SegmentField::names()),
                &format!("unknown field `{name}`"),
            )
        })?;
        self.bump();
        let op_token = self.peek().clone();
        match &op_token.kind {
            TokenKind::Op(op) => {
                let op = *op;
                self.bump();
                if !field.kind.allows_order() && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    return Err(SegmentError::new(
                        op_token.position,
                        &format!("`=` or `!=` (`{}` {})", field.name, field.kind.operators()),
                        &op_token.kind.describe(),
                    ));
                }
                if !field.kind.allows_compare() {
                    return Err(SegmentError::new(
                        op_token.position,
                        &format!("`{}` {}", field.name, field.kind.operators()),
                        &op_token.kind.describe(),
                    ));
                }
                let value = self.literal(field)?;
                Ok(Expr::Compare { field, op, value })
            }
            TokenKind::Word(w) if w.eq_ignore_ascii_case("in") => {
                self.bump();
                self.in_list(field, op_token.position)
            }
            TokenKind::Word(w) if w.eq_ignore_ascii_case("not") => {
                self.bump();
                if !self.is_keyword("in") {
                    return Err(self.unexpected("`in` after `not`"));
                }
                self.bump();
                Ok(Expr::Not(Box::new(self.in_list(field, op_token.position)?)))
            }
            TokenKind::Word(w) if w.eq_ignore_ascii_case("contains") => {
                if field.kind != FieldKind::List {
                    return Err(SegmentError::new(
                        op_token.position,
                        &format!("`{}` {}", field.name, field.kind.operators()),
                        "`contains`",
                    ));
                }
                self.bump();
                match self.literal(field)? {
                    Literal::Text(value) => Ok(Expr::Contains { field, value }),
                    _ => Err(self.unexpected("a badge name")),
                }
            }
            TokenKind::Word(w) if w.eq_ignore_ascii_case("within") => {
                if field.kind != FieldKind::Time {
                    return Err(SegmentError::new(
                        op_token.position,
                        &format!("`{}` {}", field.name, field.kind.operators()),
                        "`within`",
                    ));
                }
                self.bump();
                let millis = self.duration()?;
                Ok(Expr::Within { field, millis })
            }
            _ => Err(self.unexpected(&format!(
                "an operator after `{}` ({})",
                field.name,
                field.kind.operators()
            ))),
        }
    }

    fn in_list(&mut self, field: &'static SegmentField, at: usize) -> Result<Expr, SegmentError> {
        if !field.kind.allows_compare() {
            return Err(SegmentError::new(
                at,
                &format!("`{}` {}", field.name, field.kind.operators()),
                "`in`",
            ));
        }
        if self.peek().kind != TokenKind::LBracket {
            return Err(self.unexpected("`[` to start the list"));
        }
        self.bump();
        let mut values = vec![self.literal(field)?];
        while self.peek().kind == TokenKind::Comma {
            self.bump();
            values.push(self.literal(field)?);
        }
        if self.peek().kind != TokenKind::RBracket {
            return Err(self.unexpected("`,` or `]`"));
        }
        self.bump();
        Ok(Expr::In { field, values })
    }

    /// A value of the field's type; bare words are text (`level = gold`).
    fn literal(&mut self, field: &SegmentField) -> Result<Literal, SegmentError> {
        let token = self.peek().clone();
        let value = match (&token.kind, field.kind) {
            (TokenKind::Str(s), FieldKind::Text | FieldKind::List) => Literal::Text(s.clone()),
            (TokenKind::Word(w), FieldKind::Text | FieldKind::List) if !is_reserved(w) => {
                Literal::Text(w.clone())
            }
            (TokenKind::Number { value, unit: None }, FieldKind::Int) => Literal::Int(*value),
            (TokenKind::Number { value, unit: None }, FieldKind::Text | FieldKind::List) => {
                Literal::Text(value.to_string())
            }
            (TokenKind::Word(w), FieldKind::Bool)
                if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("yes") =>
            {
                Literal::Bool(true)
            }
            (TokenKind::Word(w), FieldKind::Bool)
                if w.eq_ignore_ascii_case("false") || w.eq_ignore_ascii_case("no") =>
            {
                Literal::Bool(false)
            }
            _ => {
                return Err(self.unexpected(&format!(
                    "{} for `{}`",
                    field.kind.value_name(),
                    field.name
                )))
            }
        };
        self.bump();
        Ok(value)
    }

    /// After `did`: the event, then optionally how often and how far back.
    fn did(&mut self) -> Result<Expr, SegmentError> {
        let token = self.peek().clone();
        let event = match &token.kind {
            TokenKind::Str(s) if !s.is_empty() => s.clone(),
            TokenKind::Word(w) if !is_reserved(w) && !is_behaviour_word(w) => w.clone(),
            _ => return Err(self.unexpected("an event name such as \"Order Completed\"")),
        };
        self.bump();
        let times = if self.is_keyword("at") {
            self.bump();
            self.times()?
        } else {
            Times::AtLeast(1)
        };
        let within = if self.is_keyword("within") {
            self.bump();
            Some(self.duration()?)
        } else {
            None
        };
        Ok(Expr::Did(Did {
            event,
            times,
            within,
        }))
    }

    /// After `did "X" at`: `least 3 times`, `most 1 time`.
    fn times(&mut self) -> Result<Times, SegmentError> {
        let at_least = if self.is_keyword("least") {
            true
        } else if self.is_keyword("most") {
            false
        } else {
            return Err(self.unexpected("`least` or `most` after `at`"));
        };
        self.bump();
        let token = self.peek().clone();
        let n = match token.kind {
            TokenKind::Number { value, unit: None } => value,
            _ => return Err(self.unexpected("a number of times, such as `3 times`")),
        };
        if !(1..=MAX_TIMES).contains(&n) {
            let expected = match (at_least, n < 1) {
                (true, true) => {
                    "at least 1 time (`at least 0` is everyone: leave the count out)".to_string()
                }
                (false, true) => {
                    "at most 1 time or more (for never, write `not did …`)".to_string()
                }
                _ => format!("a number of times up to {MAX_TIMES}"),
            };
            return Err(SegmentError::new(
                token.position,
                &expected,
                &token.kind.describe(),
            ));
        }
        self.bump();
        if self.is_keyword("times") || self.is_keyword("time") {
            self.bump();
        }
        Ok(if at_least {
            Times::AtLeast(n)
        } else {
            Times::AtMost(n)
        })
    }

    /// `7d`, `7 d`, `7 days`, `12h`, `30 minutes`, `2w`.
    fn duration(&mut self) -> Result<i64, SegmentError> {
        let token = self.peek().clone();
        let TokenKind::Number { value, unit } = token.kind else {
            return Err(self.unexpected("a duration such as `7d` or `12h`"));
        };
        self.bump();
        let unit = match unit {
            Some(u) => u,
            None => match self.bump().kind {
                TokenKind::Word(w) => w,
                other => {
                    return Err(SegmentError::new(
                        token.position,
                        "a unit after the number (d, h, m, w)",
                        &other.describe(),
                    ))
                }
            },
        };
        let per_unit: i64 = match unit.to_ascii_lowercase().as_str() {
            "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
            "h" | "hour" | "hours" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            "w" | "week" | "weeks" => 7 * 86_400_000,
            _ => {
                return Err(SegmentError::new(
                    token.position,
                    "a unit: d, h, m or w",
                    &format!("`{unit}`"),
                ))
            }
        };
        if value < 0 {
            return Err(SegmentError::new(
                token.position,
                "a positive duration",
                &format!("`{value}`"),
            ));
        }
        value.checked_mul(per_unit).ok_or_else(|| {
            SegmentError::new(
                token.position,
                "a shorter duration",
                &format!("`{value}{unit}`"),
            )
        })
    }
}

/// Words of a behaviour test that cannot be a bare event name.
fn is_behaviour_word(word: &str) -> bool {
    ["did", "at", "least", "most", "times", "time"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

fn is_reserved(word: &str) -> bool {
    ["and", "or", "not", "in", "contains", "within"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}
