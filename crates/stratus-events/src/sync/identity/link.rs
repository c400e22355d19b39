//! The identity link one event carries: `identify` joins a user id to the
//! anonymous id it was sent from, `alias` joins two ids, `group` ties an id
//! to an account.

use serde_json::{Map, Value};

/// How two ids were linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    Identify,
    Alias,
    Group,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Identify => "identify",
            LinkKind::Alias => "alias",
            LinkKind::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "identify" => Some(LinkKind::Identify),
            "alias" => Some(LinkKind::Alias),
            "group" => Some(LinkKind::Group),
            _ => None,
        }
    }

    /// Whether the two ids become one person (a group does not merge its
    /// members).
    pub fn merges(self) -> bool {
        self != LinkKind::Group
    }
}

/// One link, as `identity_links` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityLink {
    /// The event that made it: one link per event, so re-ingesting collapses.
    pub event_id: String,
    pub kind: LinkKind,
    /// The user id (identify), the new id (alias), the member (group).
    pub id: String,
    /// The anonymous id (identify), the previous id (alias), the account (group).
    pub other: String,
    /// The event's `ts`, unix ms.
    pub at: i64,
}

/// A non-empty string field of a JSON object.
fn text<'a>(m: Option<&'a Map<String, Value>>, k: &str) -> Option<&'a str> {
    m.and_then(|m| m.get(k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The link of an event whose columns are already taken out of the line:
/// `fields` is what is left of the envelope (`previous_id`, `group_id` stay
/// there for the detail view), `properties` its properties.
/// PostHog's `$identify` names the anonymous id in `$anon_distinct_id`.
pub fn link_of(
    event_id: &str,
    kind: &str,
    at: i64,
    distinct_id: Option<&str>,
    anonymous_id: Option<&str>,
    fields: &Map<String, Value>,
    properties: Option<&Map<String, Value>>,
) -> Option<IdentityLink> {
    let (kind, id, other) = match kind {
        "identify" => (
            LinkKind::Identify,
            distinct_id?,
            anonymous_id.or_else(|| text(properties, "$anon_distinct_id"))?,
        ),
        "alias" => (
            LinkKind::Alias,
            distinct_id?,
            text(Some(fields), "previous_id")?,
        ),
        "group" => (
            LinkKind::Group,
            distinct_id.or(anonymous_id)?,
            text(Some(fields), "group_id")?,
        ),
        _ => return None,
    };
    (id != other).then(|| IdentityLink {
        event_id: event_id.to_string(),
        kind,
        id: id.to_string(),
        other: other.to_string(),
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn each_kind_names_its_two_ids() {
        let none = Map::new();
        let identify = link_of("e1", "identify", 5, Some("u1"), Some("a1"), &none, None).unwrap();
        assert_eq!(
            (identify.kind, identify.id.as_str(), identify.other.as_str()),
            (LinkKind::Identify, "u1", "a1")
        );
        // PostHog's form: the anonymous id is a property.
        let props = map(json!({"$anon_distinct_id": "a2"}));
        let posthog = link_of("e2", "identify", 5, Some("u1"), None, &none, Some(&props)).unwrap();
        assert_eq!(posthog.other, "a2");
        let fields = map(json!({"previous_id": "old", "group_id": "acme"}));
        let alias = link_of("e3", "alias", 5, Some("new"), None, &fields, None).unwrap();
        assert_eq!((alias.kind, alias.other.as_str()), (LinkKind::Alias, "old"));
        let group = link_of("e4", "group", 5, None, Some("a1"), &fields, None).unwrap();
        assert_eq!(
            (group.kind, group.id.as_str(), group.other.as_str()),
            (LinkKind::Group, "a1", "acme")
        );
        assert!(!group.kind.merges());
    }

    #[test]
    fn events_that_link_nothing_give_no_link() {
        let none = Map::new();
        assert_eq!(
            link_of("e", "track", 5, Some("u"), Some("a"), &none, None),
            None
        );
        // An identify sent before any anonymous id, or naming itself.
        assert_eq!(
            link_of("e", "identify", 5, Some("u"), None, &none, None),
            None
        );
        assert_eq!(
            link_of("e", "identify", 5, Some("u"), Some("u"), &none, None),
            None
        );
        assert_eq!(link_of("e", "alias", 5, Some("u"), None, &none, None), None);
    }
}
