//! Message templates: minijinja with strict undefined, so a missing field is
//! an error at preview time, never a blank at send time. A template is
//! untrusted input from the editor: its work is bounded by minijinja fuel and
//! its output by [`MAX_MESSAGE_BYTES`], and it renders away from the
//! database connection, so a runaway loop cannot freeze other work.

use std::collections::BTreeSet;

use minijinja::{Environment, UndefinedBehavior};
use rusqlite::Connection;
use serde::Serialize;
use stratus_core::db::Db;

use crate::customer::{self, Customer};
use crate::gamify;
use crate::sms::{self, SmsLength};
use crate::{Error, Result};

const NAME: &str = "message";

/// Work one rendering may do (minijinja instructions): real messages use a
/// few hundred; a loop over `range(100000)` inside another runs out.
pub const FUEL: u64 = 100_000;

/// The longest rendered message, in bytes: above any SMS (1,600 characters
/// in at most 4 bytes each) and any push payload.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;

/// What a template can use: the customer's fields and computed gamified values.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateContext {
    pub id: String,
    pub name: String,
    pub first_name: String,
    pub email: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub phone: Option<String>,
    pub points: i64,
    pub streak: i64,
    pub level: String,
    pub badges: Vec<String>,
    pub last_active: Option<i64>,
    /// 1 = most points among all customers.
    pub rank: i64,
    /// `None` at the top level.
    pub next_level: Option<String>,
    /// 0 at the top level.
    pub points_to_next_level: i64,
    pub new_badges: Vec<String>,
}

/// The names a template may use (checked before any customer is rendered).
pub const VARIABLES: &[&str] = &[
    "id",
    "name",
    "first_name",
    "email",
    "locale",
    "time_zone",
    "phone",
    "points",
    "streak",
    "level",
    "badges",
    "last_active",
    "rank",
    "next_level",
    "points_to_next_level",
    "new_badges",
];

impl TemplateContext {
    /// The values for `customer`; `level` and `next_level` come from the
    /// profile's level table, never from an imported column.
    pub fn new(customer: &Customer, rank: i64, levels: &gamify::LevelTable) -> Self {
        let next = levels.next_level(customer.points);
        TemplateContext {
            id: customer.id.clone(),
            name: customer.name.clone(),
            first_name: customer
                .name
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string(),
            email: customer.email.clone(),
            locale: customer.locale.clone(),
            time_zone: customer.time_zone.clone(),
            phone: customer.phone.clone(),
            points: customer.points,
            streak: customer.streak,
            level: levels.level_for(customer.points).name.clone(),
            badges: customer.badges.clone(),
            last_active: customer.last_active,
            rank,
            next_level: next.map(|(l, _)| l.name.clone()),
            points_to_next_level: next.map_or(0, |(_, n)| n),
            new_badges: gamify::new_badges(customer),
        }
    }
}

/// A compiled template, ready to render many customers.
pub struct MessageTemplate {
    env: Environment<'static>,
    variables: BTreeSet<String>,
}

impl std::fmt::Debug for MessageTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageTemplate")
    }
}

impl MessageTemplate {
    /// Compiles `source`; syntax errors and unknown variable names are refused here.
    pub fn compile(source: &str) -> Result<Self> {
        let mut env = environment();
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| Error::Template(describe(&e)))?;
        let template = env
            .get_template(NAME)
            .map_err(|e| Error::Template(describe(&e)))?;
        let variables: BTreeSet<String> =
            template.undeclared_variables(false).into_iter().collect();
        let unknown: BTreeSet<&String> = variables
            .iter()
            .filter(|v| !VARIABLES.contains(&v.as_str()))
            .collect();
        if !unknown.is_empty() {
            return Err(Error::Template(format!(
                "unknown field{} {}; available: {}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                VARIABLES.join(", ")
            )));
        }
        drop(template);
        Ok(MessageTemplate { env, variables })
    }

    /// Whether the template reads `name` (costly values are computed only then).
    pub fn uses(&self, name: &str) -> bool {
        self.variables.contains(name)
    }

    /// Renders for one customer; an undefined attribute or filter error is an error.
    pub fn render(&self, context: &TemplateContext) -> Result<String> {
        let template = self
            .env
            .get_template(NAME)
            .map_err(|e| Error::Template(describe(&e)))?;
        let mut out = CappedOutput::default();
        match template.render_captured_to(context, &mut out) {
            Ok(_) => Ok(String::from_utf8_lossy(&out.bytes).trim().to_string()),
            Err(_) if out.overflowed => Err(Error::Template(format!(
                "the message is longer than {MAX_MESSAGE_BYTES} bytes; shorten the template"
            ))),
            Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => Err(Error::Template(
                "the template does too much work (a loop over too many items?); simplify it".into(),
            )),
            Err(e) => Err(Error::Template(describe(&e))),
        }
    }
}

/// The environment every template compiles in.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // SMS and push are plain text: nothing to escape.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_fuel(Some(FUEL));
    env
}

/// Collects the rendered message and refuses to grow past [`MAX_MESSAGE_BYTES`].
#[derive(Default)]
struct CappedOutput {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for CappedOutput {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + data.len() > MAX_MESSAGE_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("message too long"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn describe(e: &minijinja::Error) -> String {
    match (e.line(), e.detail()) {
        (Some(line), Some(detail)) => format!("line {line}: {detail}"),
        (Some(line), None) => format!("line {line}: {e}"),
        (None, _) => e.to_string(),
    }
}

/// A rendered message for one customer and its SMS length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub customer_id: String,
    pub text: String,
    pub sms: SmsLength,
}

/// Renders `source` for a stored customer (blocking; on a connection the
/// caller owns, e.g. a reader).
pub fn preview_blocking(conn: &Connection, source: &str, customer_id: &str) -> Result<Preview> {
    let template = MessageTemplate::compile(source)?;
    render_preview(&template, &preview_customer(conn, customer_id)?)
}

/// Preview for any customer (the editor's live preview). The customer is
/// read under the database lock; the rendering happens after it is released.
pub async fn preview(db: &Db, source: &str, customer_id: &str) -> Result<Preview> {
    let template = MessageTemplate::compile(source)?;
    preview_compiled(db, template, customer_id).await
}

async fn preview_compiled(
    db: &Db,
    template: MessageTemplate,
    customer_id: &str,
) -> Result<Preview> {
    let id = customer_id.to_string();
    let input = db.call(move |conn| preview_customer(conn, &id)).await?;
    tokio::task::spawn_blocking(move || render_preview(&template, &input))
        .await
        .map_err(|e| Error::Internal(format!("template worker failed: {e}")))?
}

/// What rendering one customer needs from the database.
pub(crate) struct PreviewInput {
    pub(crate) customer: Customer,
    pub(crate) rank: i64,
    pub(crate) levels: gamify::LevelTable,
}

pub(crate) fn preview_customer(conn: &Connection, customer_id: &str) -> Result<PreviewInput> {
    let customer = customer::get(conn, customer_id)?;
    let rank = gamify::rank_blocking(conn, customer.points)?;
    let levels = gamify::levels_blocking(conn)?;
    Ok(PreviewInput {
        customer,
        rank,
        levels,
    })
}

fn render_preview(template: &MessageTemplate, input: &PreviewInput) -> Result<Preview> {
    let PreviewInput {
        customer,
        rank,
        levels,
    } = input;
    let text = template.render(&TemplateContext::new(customer, *rank, levels))?;
    Ok(Preview {
        customer_id: customer.id.clone(),
        sms: sms::measure(&text),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Customer;

    fn customer() -> Customer {
        Customer::new("c-1", "Ada Lovelace")
    }

    fn render(source: &str) -> Result<String> {
        MessageTemplate::compile(source)?.render(&TemplateContext::new(
            &customer(),
            1,
            &gamify::LevelTable::default(),
        ))
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel_with_a_clear_error() {
        // `range` is not a field, but any string or list repeats: 1,200 × 1,200.
        let err = render(
            "{% for a in first_name * 400 %}{% for b in first_name * 400 %}{% endfor %}{% endfor %}",
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid_template");
        assert!(err.to_string().contains("too much work"), "{err}");
        assert_eq!(render("Hi {{ first_name }}").unwrap(), "Hi Ada");
    }

    #[test]
    fn a_message_longer_than_the_cap_is_refused() {
        let err = render("{% for a in first_name * 1000 %}0123456789{% endfor %}").unwrap_err();
        assert!(err.to_string().contains("longer than 8192 bytes"), "{err}");
        let at_cap = format!("{{{{ first_name }}}}{}", "x".repeat(MAX_MESSAGE_BYTES - 3));
        assert_eq!(render(&at_cap).unwrap().len(), MAX_MESSAGE_BYTES);
    }

    #[tokio::test]
    async fn a_preview_renders_without_holding_the_database() {
        let db = Db::open_in_memory().unwrap();
        db.call_blocking(|c| crate::customer::upsert(c, &customer(), 1))
            .unwrap();
        // A template whose rendering asks the database for something, the
        // way any other screen would while a heavy template renders.
        let mut template = MessageTemplate::compile("{{ first_name }}").unwrap();
        let probe = db.clone();
        template.env.add_function("concurrent_query", move || {
            let answered = probe
                .try_call_blocking(|c| -> Result<_> {
                    Ok(c.query_row("SELECT count(*) FROM customers", [], |r| r.get::<_, i64>(0))?)
                })
                .map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
                })?;
            Ok(match answered {
                Some(n) => format!("answered {n}"),
                None => "blocked".to_string(),
            })
        });
        template
            .env
            .add_template_owned(
                NAME,
                "{{ first_name }}: {{ concurrent_query() }}".to_string(),
            )
            .unwrap();
        let preview = preview_compiled(&db, template, "c-1").await.unwrap();
        assert_eq!(preview.text, "Ada: answered 1");
    }
}
