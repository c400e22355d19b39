//! Demo data: ~10,000 believable customers (`cust-00001` … `cust-10000`,
//! the ids the events crate uses too), one completed campaign with its
//! recipient rows and outbox messages, and one draft. Deterministic: a
//! seeded RNG; only `last_active` is relative to the seeding time.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{params, Connection};
use stratus_core::clock::now_millis;
use stratus_core::demo::{coded, SeedStep};
use stratus_core::stack::Stack;

use crate::campaign::{self, CampaignSpec, CampaignState, Channel, QuietHours, SmsType};
use crate::customer::{self, Customer};
use crate::eligibility::SkipReason;
use crate::gamify;
use crate::notifier::NotifyError;
use crate::template::{MessageTemplate, TemplateContext};
use crate::Result;

/// How many demo customers.
pub const CUSTOMERS: usize = 10_000;
const SEED: u64 = 0x5eed_ca4a_1a16;
const DAY_MS: i64 = 86_400_000;

/// The campaigns crate's seed steps, in order.
pub fn demo_steps() -> Vec<SeedStep> {
    vec![
        SeedStep {
            name: "campaigns.customers.v1",
            run: |stack| Box::pin(coded(seed_customers(stack))),
        },
        SeedStep {
            name: "campaigns.sample-campaigns.v1",
            run: |stack| Box::pin(coded(seed_campaigns(stack))),
        },
    ]
}

async fn seed_customers(stack: &Stack) -> Result<()> {
    stack.db.call(|c| insert_customers(c, now_millis())).await
}

async fn seed_campaigns(stack: &Stack) -> Result<()> {
    stack.db.call(|c| insert_campaigns(c, now_millis())).await
}

/// (country, phone prefix, digits after it, locale, time zones)
const COUNTRIES: &[(&str, &str, usize, &str, &[&str])] = &[
    (
        "US",
        "+1",
        10,
        "en-US",
        &[
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
        ],
    ),
    ("GB", "+44792", 7, "en-GB", &["Europe/London"]),
    ("DE", "+49151", 8, "de-DE", &["Europe/Berlin"]),
    ("FR", "+3361", 7, "fr-FR", &["Europe/Paris"]),
    ("BR", "+55119", 8, "pt-BR", &["America/Sao_Paulo"]),
    ("JP", "+8190", 8, "ja-JP", &["Asia/Tokyo"]),
    ("IN", "+9198", 8, "en-IN", &["Asia/Kolkata"]),
    (
        "AU",
        "+6140",
        7,
        "en-AU",
        &["Australia/Sydney", "Australia/Perth"],
    ),
];
const US_AREAS: &[&str] = &["202", "212", "312", "415", "512", "617", "713", "206"];
const FIRST: &[&str] = &[
    "Ava", "Liam", "Zoë", "Noah", "Mia", "José", "Emma", "Lukas", "Søren", "Chloé", "Hannah",
    "Mateus", "Yuki", "Aarav", "Priya", "Oliver", "Amélie", "Jonas", "Isla", "Łukasz", "Lucía",
    "Haruto", "Ines", "Ethan",
];
const LAST: &[&str] = &[
    "Smith", "Müller", "García", "Martin", "Silva", "Tanaka", "Patel", "Brown", "Dubois",
    "Schmidt", "Johnson", "Nowak", "Costa", "Sato", "Kumar", "Wilson", "Lefèvre", "O'Brien",
    "Jones", "Fischer",
];
const BADGES: &[&str] = &[
    "first-order",
    "early-bird",
    "streak-7",
    "streak-30",
    "top-reviewer",
    "referral-pro",
    "night-owl",
    "explorer",
];

fn demo_customer(rng: &mut ChaCha8Rng, n: usize, now: i64) -> Customer {
    let (_, prefix, digits, locale, zones) = COUNTRIES[rng.random_range(0..COUNTRIES.len())];
    let phone = demo_phone(rng, prefix, digits);
    let first = FIRST.choose(rng).copied().unwrap_or("Alex");
    let last = LAST.choose(rng).copied().unwrap_or("Doe");
    // Few customers have many points: a cube skews the distribution.
    let points = (rng.random::<f64>().powi(3) * 12_000.0) as i64;
    let earned: Vec<String> = BADGES
        .iter()
        .filter(|_| rng.random_bool(0.25))
        .map(|b| b.to_string())
        .collect();
    let told = rng.random_range(0..=earned.len());
    let push = rng.random_bool(0.6);
    let handle: String = first
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Customer {
        id: format!("cust-{n:05}"),
        name: format!("{first} {last}"),
        email: Some(format!("{handle}.{n:05}@example.com")),
        locale: locale.to_string(),
        time_zone: zones.choose(rng).copied().unwrap_or("UTC").to_string(),
        phone: Some(phone),
        push_endpoint_arn: push.then(|| {
            format!(
                "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/stratus-demo/{:032x}",
                rng.random::<u128>()
            )
        }),
        sms_opt_in: rng.random_bool(0.85),
        push_opt_in: push && rng.random_bool(0.9),
        points,
        streak: (rng.random::<f64>().powi(2) * 60.0) as i64,
        level: gamify::LevelTable::default().level_for(points).name.clone(),
        badges_notified: earned[..told].to_vec(),
        badges: earned,
        last_active: Some(now - rng.random_range(0..90 * DAY_MS)),
    }
}

/// A number in a range libphonenumber accepts as a mobile number of its
/// country. No validation call here: in a debug build that would make the
/// seed take minutes; the unit test checks samples instead.
fn demo_phone(rng: &mut ChaCha8Rng, prefix: &str, digits: usize) -> String {
    let mut phone = prefix.to_string();
    let mut rest = digits;
    if prefix == "+1" {
        phone.push_str(US_AREAS.choose(rng).copied().unwrap_or("202"));
        // Exchanges start 2–8 and never end in 11 (N11 codes are services).
        phone.push(char::from(b'0' + rng.random_range(2..=8u8)));
        phone.push(char::from(b'0' + rng.random_range(2..=9u8)));
        rest = 5;
    } else if prefix == "+8190" {
        phone.push(char::from(b'0' + rng.random_range(1..=9u8)));
        rest -= 1;
    }
    for _ in 0..rest {
        phone.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    phone
}

/// Inserts the demo customers in one transaction.
pub fn insert_customers(conn: &mut Connection, now: i64) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let tx = conn.transaction()?;
    for n in 1..=CUSTOMERS {
        customer::upsert(&tx, &demo_customer(&mut rng, n, now), now)?;
    }
    tx.commit()?;
    Ok(())
}

/// One completed SMS campaign (rows + outbox) and one draft push campaign.
pub fn insert_campaigns(conn: &mut Connection, now: i64) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 1);
    let tx = conn.transaction()?;
    let mut done = CampaignSpec::new(
        "Gold members: double points weekend",
        Channel::Sms,
        "level = gold and sms_opt_in = true",
        "Hi {{ first_name }}! You're #{{ rank }} with {{ points }} points. Double points all weekend: {{ points_to_next_level }} more and you reach {{ next_level }}.",
    );
    done.rate_per_sec = 20.0;
    done.sender_id = Some("Stratus".into());
    done.sms_type = SmsType::Promotional;
    done.quiet_hours = Some(QuietHours {
        start_minute: 21 * 60,
        end_minute: 8 * 60,
    });
    let sent_at = now - 3 * DAY_MS;
    let completed = campaign::create_draft_blocking(&tx, &done, sent_at)?;
    campaign::launch_in(&tx, &completed.id, sent_at)?;
    let template = MessageTemplate::compile(&done.template)?;
    let levels = gamify::levels_blocking(&tx)?;
    let pending: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT customer_id, address FROM recipients WHERE campaign_id = ?1 AND status = 'pending' ORDER BY customer_id")?;
        let rows = stmt.query_map([&completed.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    {
        let mut sent = tx.prepare(
            "UPDATE recipients SET status = ?3, reason = ?4, error_code = ?5, error_message = ?6, message_id = ?7,
                 attempts = ?8, rendered = ?9, updated_at = ?10 WHERE campaign_id = ?1 AND customer_id = ?2",
        )?;
        let mut outbox = tx.prepare(
            "INSERT INTO outbox (message_id, campaign_id, customer_id, channel, address, body, sms_type, sender_id, sent_at)
             VALUES (?1, ?2, ?3, 'sms', ?4, ?5, 'promotional', 'Stratus', ?6)",
        )?;
        for (i, (customer_id, address)) in pending.iter().enumerate() {
            let c = customer::get(&tx, customer_id)?;
            let body = template.render(&TemplateContext::new(
                &c,
                gamify::rank_blocking(&tx, c.points)?,
                &levels,
            ))?;
            let at = sent_at + i as i64 * 50;
            let roll = rng.random::<f64>();
            if address.ends_with("99") {
                sent.execute(params![
                    completed.id,
                    customer_id,
                    "skipped",
                    SkipReason::OptedOut.as_str(),
                    NotifyError::OptedOut.code(),
                    NotifyError::OptedOut.to_string(),
                    None::<String>,
                    1,
                    None::<String>,
                    at
                ])?;
            } else if roll < 0.015 {
                sent.execute(params![
                    completed.id,
                    customer_id,
                    "failed",
                    None::<String>,
                    "SimulatedFailure",
                    "the demo provider refused this message",
                    None::<String>,
                    1,
                    body,
                    at
                ])?;
            } else {
                let id = format!("{:08x}-demo-{i:06}", rng.random::<u32>());
                let attempts = if roll < 0.05 { 2 } else { 1 };
                sent.execute(params![
                    completed.id,
                    customer_id,
                    "sent",
                    None::<String>,
                    None::<String>,
                    None::<String>,
                    id,
                    attempts,
                    body,
                    at
                ])?;
                outbox.execute(params![id, completed.id, customer_id, address, body, at])?;
            }
        }
    }
    campaign::transition_blocking(&tx, &completed.id, CampaignState::Running, None)?;
    campaign::transition_blocking(&tx, &completed.id, CampaignState::Completed, None)?;
    let mut draft = CampaignSpec::new(
        "Streak savers",
        Channel::Push,
        "streak >= 7 and last_active within 2d and push_opt_in = true",
        "🔥 {{ first_name }}, your {{ streak }}-day streak is on the line. Check in today to keep it!",
    );
    draft.rate_per_sec = 50.0;
    draft.concurrency = 8;
    campaign::create_draft_blocking(&tx, &draft, now)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_customers_are_deterministic_and_valid() {
        let now = 1_700_000_000_000;
        let mut a = ChaCha8Rng::seed_from_u64(SEED);
        let mut b = ChaCha8Rng::seed_from_u64(SEED);
        for n in 1..=300 {
            let (x, y) = (demo_customer(&mut a, n, now), demo_customer(&mut b, n, now));
            assert_eq!(x, y);
            let phone = x.phone.clone().unwrap();
            assert_eq!(
                crate::phone::normalize(&phone, None).as_deref(),
                Ok(phone.as_str()),
                "{phone} is valid E.164"
            );
            assert!(x.time_zone.parse::<chrono_tz::Tz>().is_ok());
        }
    }
}
