//! Splits segment text into tokens, each with its character position.

use super::SegmentError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word: a field, a keyword (`and`, `in`, …) or an unquoted value.
    Word(String),
    Str(String),
    /// An integer, with the unit letters written right after it (`7d`).
    Number {
        value: i64,
        unit: Option<String>,
    },
    Op(CmpOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    End,
}

impl TokenKind {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Word(w) => format!("`{w}`"),
            TokenKind::Str(s) => format!("\"{s}\""),
            TokenKind::Number { value, unit } => {
                format!("`{value}{}`", unit.as_deref().unwrap_or(""))
            }
            TokenKind::Op(op) => format!("`{}`", op.sql()),
            TokenKind::LParen => "`(`".into(),
            TokenKind::RParen => "`)`".into(),
            TokenKind::LBracket => "`[`".into(),
            TokenKind::RBracket => "`]`".into(),
            TokenKind::Comma => "`,`".into(),
            TokenKind::End => "the end of the segment".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// 0-based character (not byte) offset in the segment text.
    pub position: usize,
}

/// Tokenizes `text`; the last token is always [`TokenKind::End`].
pub fn tokenize(text: &str) -> Result<Vec<Token>, SegmentError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let single = |kind| Token {
            kind,
            position: start,
        };
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' | '[' | ']' | ',' => {
                tokens.push(single(match c {
                    '(' => TokenKind::LParen,
                    ')' => TokenKind::RParen,
                    '[' => TokenKind::LBracket,
                    ']' => TokenKind::RBracket,
                    _ => TokenKind::Comma,
                }));
                i += 1;
            }
            '=' | '!' | '<' | '>' => {
                // `==` and `<>` are accepted as spellings of `=` and `!=`.
                let (op, len) = match (c, chars.get(i + 1).copied()) {
                    ('=', Some('=')) => (CmpOp::Eq, 2),
                    ('=', _) => (CmpOp::Eq, 1),
                    ('!', Some('=')) | ('<', Some('>')) => (CmpOp::Ne, 2),
                    ('<', Some('=')) => (CmpOp::Le, 2),
                    ('<', _) => (CmpOp::Lt, 1),
                    ('>', Some('=')) => (CmpOp::Ge, 2),
                    ('>', _) => (CmpOp::Gt, 1),
                    _ => return Err(SegmentError::new(start, "`!=`", "`!` alone")),
                };
                tokens.push(single(TokenKind::Op(op)));
                i += len;
            }
            '"' | '\'' => {
                let (value, end) = read_string(&chars, i)?;
                tokens.push(single(TokenKind::Str(value)));
                i = end;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let mut j = i + 1;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                let digits: String = chars[i..j].iter().collect();
                let value = digits.parse::<i64>().map_err(|_| {
                    SegmentError::new(start, "a whole number", &format!("`{digits}`"))
                })?;
                let unit_start = j;
                while j < chars.len() && chars[j].is_alphabetic() {
                    j += 1;
                }
                let unit = (j > unit_start).then(|| chars[unit_start..j].iter().collect());
                tokens.push(single(TokenKind::Number { value, unit }));
                i = j;
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || matches!(chars[j], '_' | '-' | '.'))
                {
                    j += 1;
                }
                tokens.push(single(TokenKind::Word(chars[i..j].iter().collect())));
                i = j;
            }
            other => {
                return Err(SegmentError::new(
                    start,
                    "a field, a value or an operator",
                    &format!("`{other}`"),
                ));
            }
        }
    }
    tokens.push(Token {
        kind: TokenKind::End,
        position: chars.len(),
    });
    Ok(tokens)
}

/// Reads a quoted string starting at `start`; `\` escapes the next character.
fn read_string(chars: &[char], start: usize) -> Result<(String, usize), SegmentError> {
    let quote = chars[start];
    let mut value = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                value.push(chars[i + 1]);
                i += 2;
            }
            c if c == quote => return Ok((value, i + 1)),
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err(SegmentError::new(
        start,
        &format!("a closing {quote} for this string"),
        "the end of the segment",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn splits_operators_strings_numbers_and_units() {
        assert_eq!(
            kinds("points>=500 and last_active within 7d"),
            vec![
                TokenKind::Word("points".into()),
                TokenKind::Op(CmpOp::Ge),
                TokenKind::Number {
                    value: 500,
                    unit: None
                },
                TokenKind::Word("and".into()),
                TokenKind::Word("last_active".into()),
                TokenKind::Word("within".into()),
                TokenKind::Number {
                    value: 7,
                    unit: Some("d".into())
                },
                TokenKind::End,
            ]
        );
        assert_eq!(
            kinds(r#"name = "Zoë \"Z\"""#)[2],
            TokenKind::Str("Zoë \"Z\"".into())
        );
        assert_eq!(kinds("a != b")[1], TokenKind::Op(CmpOp::Ne));
        assert_eq!(kinds("a <> b")[1], TokenKind::Op(CmpOp::Ne));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let tokens = tokenize("name = \"é\" and").unwrap();
        assert_eq!(tokens[3].position, 11);
        let err = tokenize("level = gold § x").unwrap_err();
        assert_eq!(err.position, 13);
        let err = tokenize("name = \"open").unwrap_err();
        assert_eq!(err.position, 7);
    }
}
