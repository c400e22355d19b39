//! Message templates: minijinja with strict undefined, so a missing field is
//! an error at preview time, never a blank at send time.

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
    pub fn new(customer: &Customer, rank: i64) -> Self {
        let next = gamify::next_level(customer.points);
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
            level: customer.level.clone(),
            badges: customer.badges.clone(),
            last_active: customer.last_active,
            rank,
            next_level: next.map(|(l, _)| l.name.to_string()),
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
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // SMS and push are plain text: nothing to escape.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
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
        template
            .render(context)
            .map(|s| s.trim().to_string())
            .map_err(|e| Error::Template(describe(&e)))
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub customer_id: String,
    pub text: String,
    pub sms: SmsLength,
}

/// Renders `source` for a stored customer (blocking; inside `Db::call`).
pub fn preview_blocking(conn: &Connection, source: &str, customer_id: &str) -> Result<Preview> {
    let template = MessageTemplate::compile(source)?;
    let customer = customer::get(conn, customer_id)?;
    let rank = gamify::rank_blocking(conn, customer.points)?;
    let text = template.render(&TemplateContext::new(&customer, rank))?;
    Ok(Preview {
        customer_id: customer.id,
        sms: sms::measure(&text),
        text,
    })
}

/// Preview for any customer (the editor's live preview).
pub async fn preview(db: &Db, source: &str, customer_id: &str) -> Result<Preview> {
    let (source, id) = (source.to_string(), customer_id.to_string());
    db.call(move |conn| Ok(preview_blocking(conn, &source, &id)))
        .await?
}
