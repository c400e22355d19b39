//! The customer fields a segment may name: the allow-list that keeps user
//! text out of SQL.

/// What kind of values a field holds, which decides its operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Int,
    Bool,
    /// A Unix-ms timestamp, tested with `within`.
    Time,
    /// A JSON array of names, tested with `contains`.
    List,
}

impl FieldKind {
    pub(crate) fn allows_compare(self) -> bool {
        matches!(self, FieldKind::Text | FieldKind::Int | FieldKind::Bool)
    }

    pub(crate) fn allows_order(self) -> bool {
        matches!(self, FieldKind::Text | FieldKind::Int)
    }

    pub(crate) fn operators(self) -> &'static str {
        match self {
            FieldKind::Text | FieldKind::Int => "takes =, !=, <, <=, >, >=, in [...]",
            FieldKind::Bool => "takes = or != with true/false",
            FieldKind::Time => "takes `within` and a duration such as 7d",
            FieldKind::List => "takes `contains` and a name",
        }
    }

    pub(crate) fn value_name(self) -> &'static str {
        match self {
            FieldKind::Text | FieldKind::List => "a word or a \"quoted text\"",
            FieldKind::Int => "a whole number",
            FieldKind::Bool => "true or false",
            FieldKind::Time => "a duration",
        }
    }
}

/// One allow-listed field: the name users write and the column it reads.
#[derive(Debug, PartialEq, Eq)]
pub struct SegmentField {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: FieldKind,
}

const FIELDS: &[SegmentField] = &[
    SegmentField {
        name: "id",
        column: "id",
        kind: FieldKind::Text,
    },
    SegmentField {
        name: "name",
        column: "name",
        kind: FieldKind::Text,
    },
    SegmentField {
        name: "email",
        column: "email",
        kind: FieldKind::Text,
    },
    SegmentField {
        name: "locale",
        column: "locale",
        kind: FieldKind::Text,
    },
    SegmentField {
        name: "time_zone",
        column: "time_zone",
        kind: FieldKind::Text,
    },
    SegmentField {
        name: "phone",
        column: "phone",
        kind: FieldKind::Text,
    },
    SegmentField {
        name: "level",
        column: "level",
        kind: FieldKind::Text,
    },
    SegmentField {
        name: "points",
        column: "points",
        kind: FieldKind::Int,
    },
    SegmentField {
        name: "streak",
        column: "streak",
        kind: FieldKind::Int,
    },
    SegmentField {
        name: "sms_opt_in",
        column: "sms_opt_in",
        kind: FieldKind::Bool,
    },
    SegmentField {
        name: "push_opt_in",
        column: "push_opt_in",
        kind: FieldKind::Bool,
    },
    SegmentField {
        name: "badges",
        column: "badges",
        kind: FieldKind::List,
    },
    SegmentField {
        name: "last_active",
        column: "last_active",
        kind: FieldKind::Time,
    },
];

impl SegmentField {
    /// The field called `name` (case-insensitive; `timezone` = `time_zone`).
    pub fn find(name: &str) -> Option<&'static SegmentField> {
        let wanted = name.to_ascii_lowercase().replace('-', "_");
        let wanted = if wanted == "timezone" {
            "time_zone".to_string()
        } else {
            wanted
        };
        FIELDS.iter().find(|f| f.name == wanted)
    }

    /// All names, for "expected a field name (…)".
    pub fn names() -> String {
        FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
    }
}
