//! What a push notification says: the campaign's template is the body; the
//! title, deep link, custom data values and badge are templates too, each
//! rendered with the same bounded minijinja rendering
//! ([`crate::template::MessageTemplate`]). The rendered notification becomes
//! one SNS `MessageStructure=json` document with a payload per platform, so
//! one message serves every device of a customer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::template::{MessageTemplate, TemplateContext};
use crate::{Error, Result};

/// The notification fields a push campaign adds to its body template.
/// Stored as JSON in `campaigns.push`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PushContent {
    /// Template of the notification's title (empty: no title).
    pub title: String,
    /// Template of the link the app opens (`myapp://rewards`).
    pub deep_link: Option<String>,
    /// Custom key/value data for the app; each value is a template.
    pub data: BTreeMap<String, String>,
    /// Template that renders to the app icon's badge number
    /// (`{{ new_badges | length }}`); blank output leaves the badge alone.
    pub badge: Option<String>,
    /// Sound name (`default`); not a template.
    pub sound: Option<String>,
}

/// Keys the payloads use themselves, refused as custom data keys.
const RESERVED_KEYS: &[&str] = &["aps", "deep_link", "title", "body"];

/// SNS refuses push payloads above 4 KB (APNs' own limit).
pub const MAX_PLATFORM_PAYLOAD_BYTES: usize = 4096;

/// One customer's notification, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedPush {
    pub title: String,
    pub body: String,
    pub deep_link: Option<String>,
    pub data: BTreeMap<String, String>,
    pub badge: Option<u32>,
    pub sound: Option<String>,
}

/// The body template and the notification fields, compiled once per run.
#[derive(Debug)]
pub struct PushTemplate {
    body: MessageTemplate,
    title: Option<MessageTemplate>,
    deep_link: Option<MessageTemplate>,
    data: Vec<(String, MessageTemplate)>,
    badge: Option<MessageTemplate>,
    sound: Option<String>,
}

impl PushTemplate {
    /// Compiles every field; an error names the field.
    pub fn compile(body: &str, content: &PushContent) -> Result<Self> {
        let field = |name: &str, source: &str| {
            MessageTemplate::compile(source).map_err(|e| match e {
                Error::Template(m) => Error::Template(format!("{name}: {m}")),
                other => other,
            })
        };
        let optional = |name: &str, source: Option<&String>| -> Result<Option<MessageTemplate>> {
            match source.map(|s| s.trim()).filter(|s| !s.is_empty()) {
                Some(s) => Ok(Some(field(name, s)?)),
                None => Ok(None),
            }
        };
        let mut data = Vec::new();
        for (key, value) in &content.data {
            let key = key.trim();
            if key.is_empty() || RESERVED_KEYS.contains(&key) {
                return Err(Error::InvalidPush(format!(
                    "custom data key `{key}` is empty or reserved ({})",
                    RESERVED_KEYS.join(", ")
                )));
            }
            data.push((key.to_string(), field(&format!("data.{key}"), value)?));
        }
        Ok(PushTemplate {
            body: field("body", body)?,
            title: optional("title", Some(&content.title))?,
            deep_link: optional("deep link", content.deep_link.as_ref())?,
            data,
            badge: optional("badge", content.badge.as_ref())?,
            sound: content
                .sound
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        })
    }

    /// Whether any field reads `name` (costly values are computed only then).
    pub fn uses(&self, name: &str) -> bool {
        self.templates().any(|t| t.uses(name))
    }

    fn templates(&self) -> impl Iterator<Item = &MessageTemplate> {
        std::iter::once(&self.body)
            .chain(self.title.as_ref())
            .chain(self.deep_link.as_ref())
            .chain(self.data.iter().map(|(_, t)| t))
            .chain(self.badge.as_ref())
    }

    /// Renders every field for one customer.
    pub fn render(&self, context: &TemplateContext) -> Result<RenderedPush> {
        let render =
            |t: &Option<MessageTemplate>| t.as_ref().map(|t| t.render(context)).transpose();
        let badge =
            match render(&self.badge)? {
                Some(text) if !text.is_empty() => Some(text.parse::<u32>().map_err(|_| {
                    Error::Template(format!("badge: `{text}` is not a whole number"))
                })?),
                _ => None,
            };
        let mut data = BTreeMap::new();
        for (key, template) in &self.data {
            data.insert(key.clone(), template.render(context)?);
        }
        let rendered = RenderedPush {
            title: render(&self.title)?.unwrap_or_default(),
            body: self.body.render(context)?,
            deep_link: render(&self.deep_link)?.filter(|l| !l.is_empty()),
            data,
            badge,
            sound: self.sound.clone(),
        };
        rendered.check_size()?;
        Ok(rendered)
    }
}

impl RenderedPush {
    /// A notification with only a body (a test send's own text).
    pub fn body_only(body: &str) -> Self {
        RenderedPush {
            title: String::new(),
            body: body.to_string(),
            deep_link: None,
            data: BTreeMap::new(),
            badge: None,
            sound: None,
        }
    }

    /// APNs' payload: `aps` (alert title/body, badge, sound) beside the
    /// app's own keys.
    pub fn apns_payload(&self) -> Value {
        let mut alert = Map::new();
        if !self.title.is_empty() {
            alert.insert("title".into(), json!(self.title));
        }
        alert.insert("body".into(), json!(self.body));
        let mut aps = Map::new();
        aps.insert("alert".into(), Value::Object(alert));
        if let Some(badge) = self.badge {
            aps.insert("badge".into(), json!(badge));
        }
        if let Some(sound) = &self.sound {
            aps.insert("sound".into(), json!(sound));
        }
        let mut payload = Map::new();
        payload.insert("aps".into(), Value::Object(aps));
        for (key, value) in self.app_data() {
            payload.insert(key, json!(value));
        }
        Value::Object(payload)
    }

    /// FCM's legacy payload through SNS's `GCM` key: `notification` (what
    /// the system tray shows) and `data` (what the app reads).
    pub fn fcm_payload(&self) -> Value {
        let mut notification = Map::new();
        if !self.title.is_empty() {
            notification.insert("title".into(), json!(self.title));
        }
        notification.insert("body".into(), json!(self.body));
        if let Some(sound) = &self.sound {
            notification.insert("sound".into(), json!(sound));
        }
        if let Some(badge) = self.badge {
            // Android has no number badge of its own; launchers read this.
            notification.insert("notification_count".into(), json!(badge));
        }
        let data: Map<String, Value> = self
            .app_data()
            .map(|(key, value)| (key, json!(value)))
            .collect();
        json!({ "notification": notification, "data": data })
    }

    /// Custom data with the deep link under `deep_link`.
    fn app_data(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.deep_link
            .iter()
            .map(|link| ("deep_link".to_string(), link.clone()))
            .chain(self.data.iter().map(|(k, v)| (k.clone(), v.clone())))
    }

    /// The `Message` of a `Publish` with `MessageStructure=json`: SNS hands
    /// each platform its own key (each payload a JSON string), `default`
    /// to anything else.
    pub fn sns_message(&self) -> String {
        let apns = self.apns_payload().to_string();
        json!({
            "default": self.body,
            "APNS": apns,
            "APNS_SANDBOX": apns,
            "GCM": self.fcm_payload().to_string(),
        })
        .to_string()
    }

    /// Reads back a notification from an SNS message this module wrote
    /// (the demo outbox stores it; the phone preview shows it).
    pub fn from_sns_message(message: &str) -> Option<RenderedPush> {
        let doc: Value = serde_json::from_str(message).ok()?;
        let apns: Value = serde_json::from_str(doc.get("APNS")?.as_str()?).ok()?;
        let aps = apns.get("aps")?;
        let alert = aps.get("alert")?;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let data = apns
            .as_object()?
            .iter()
            .filter(|(k, _)| k.as_str() != "aps" && k.as_str() != "deep_link")
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        Some(RenderedPush {
            title: text(alert.get("title")).unwrap_or_default(),
            body: text(alert.get("body"))?,
            deep_link: text(apns.get("deep_link")),
            data,
            badge: aps
                .get("badge")
                .and_then(Value::as_u64)
                .and_then(|b| u32::try_from(b).ok()),
            sound: text(aps.get("sound")),
        })
    }

    fn check_size(&self) -> Result<()> {
        let largest = self
            .apns_payload()
            .to_string()
            .len()
            .max(self.fcm_payload().to_string().len());
        if largest > MAX_PLATFORM_PAYLOAD_BYTES {
            return Err(Error::Template(format!(
                "the notification is {largest} bytes; push payloads may be at most {MAX_PLATFORM_PAYLOAD_BYTES}: shorten the body, title or data"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Customer;

    fn context() -> TemplateContext {
        let mut c = Customer::new("c-1", "Ada Lovelace");
        c.points = 420;
        c.badges = vec!["first-run".into()];
        TemplateContext::new(&c, 3, &crate::gamify::LevelTable::default())
    }

    fn content() -> PushContent {
        PushContent {
            title: "{{ first_name }}, you're #{{ rank }}".into(),
            deep_link: Some("myapp://rewards/{{ id }}".into()),
            data: BTreeMap::from([("points".into(), "{{ points }}".into())]),
            badge: Some("{{ new_badges | length }}".into()),
            sound: Some("default".into()),
        }
    }

    #[test]
    fn every_platform_gets_its_own_payload_with_every_field() {
        let push = PushTemplate::compile("{{ points }} points", &content())
            .unwrap()
            .render(&context())
            .unwrap();
        let doc: Value = serde_json::from_str(&push.sns_message()).unwrap();
        assert_eq!(doc["default"], "420 points");
        let apns: Value = serde_json::from_str(doc["APNS"].as_str().unwrap()).unwrap();
        assert_eq!(
            apns,
            json!({
                "aps": {"alert": {"title": "Ada, you're #3", "body": "420 points"}, "badge": 1, "sound": "default"},
                "deep_link": "myapp://rewards/c-1",
                "points": "420"
            })
        );
        assert_eq!(doc["APNS_SANDBOX"], doc["APNS"]);
        let gcm: Value = serde_json::from_str(doc["GCM"].as_str().unwrap()).unwrap();
        assert_eq!(
            gcm,
            json!({
                "notification": {"title": "Ada, you're #3", "body": "420 points", "sound": "default", "notification_count": 1},
                "data": {"deep_link": "myapp://rewards/c-1", "points": "420"}
            })
        );
        assert_eq!(
            RenderedPush::from_sns_message(&push.sns_message()),
            Some(push)
        );
    }

    #[test]
    fn field_errors_name_the_field() {
        let mut bad = content();
        bad.title = "{{ nope }}".into();
        let err = PushTemplate::compile("hi", &bad).unwrap_err();
        assert!(
            err.to_string().contains("title: unknown field `nope`"),
            "{err}"
        );
        let mut bad = content();
        bad.badge = Some("{{ first_name }}".into());
        let err = PushTemplate::compile("hi", &bad)
            .unwrap()
            .render(&context())
            .unwrap_err();
        assert!(err.to_string().contains("badge: `Ada`"), "{err}");
        let mut bad = content();
        bad.data.insert("aps".into(), "x".into());
        assert_eq!(
            PushTemplate::compile("hi", &bad).unwrap_err().code(),
            "invalid_push"
        );
    }

    #[test]
    fn a_notification_over_four_kilobytes_is_refused() {
        let err = PushTemplate::compile(&"x".repeat(4100), &PushContent::default())
            .unwrap()
            .render(&context())
            .unwrap_err();
        assert!(err.to_string().contains("at most 4096"), "{err}");
    }
}
