//! The benchmarks' audience: customers with SMS consent and gamified
//! values, and the message they get.

use stratus_campaigns::customer::{self, Customer};
use stratus_core::db::Db;

pub const TEMPLATE: &str = "Hi {{ first_name }}, you have {{ points }} points and a {{ streak }}-day streak. {{ points_to_next_level }} more for {{ next_level }}!";

/// Numbers never end in 99 (moto's "opted out"), so every customer is sendable.
pub fn phone(i: usize) -> String {
    let n = 2_000_000 + i + i / 99;
    format!("+1415{n:07}")
}

pub fn seed(db: &Db, n: usize) {
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        let tx = c.transaction()?;
        for i in 0..n {
            let mut cust = Customer::new(format!("b-{i:07}"), format!("Bench{i} Person"));
            cust.phone = Some(phone(i));
            cust.sms_opt_in = true;
            cust.points = (i % 12_000) as i64;
            cust.streak = (i % 30) as i64;
            customer::upsert(&tx, &cust, 1)?;
        }
        tx.commit()?;
        Ok(())
    })
    .unwrap();
}
