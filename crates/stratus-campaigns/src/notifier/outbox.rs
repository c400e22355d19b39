//! Demo mode's notifier: messages land in the `outbox` table after a
//! simulated latency; a seeded share of them is throttled or refused.

use std::sync::Mutex;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::params;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

use super::{MessageId, Notifier, NotifyError, OptOutFilter, OutboundMessage};

/// How the simulated provider behaves.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    pub min_latency: Duration,
    pub max_latency: Duration,
    /// Share of publishes answered with throttling (0.0–1.0).
    pub throttle_share: f64,
    /// Share of publishes refused permanently (0.0–1.0).
    pub failure_share: f64,
    pub seed: u64,
    /// Numbers ending with this are opted out (moto uses `99`).
    pub opted_out_suffix: Option<String>,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            min_latency: Duration::from_millis(5),
            max_latency: Duration::from_millis(40),
            throttle_share: 0.02,
            failure_share: 0.01,
            seed: 7,
            opted_out_suffix: Some("99".into()),
        }
    }
}

impl OutboxConfig {
    /// No latency, no throttles, no failures: for tests and benchmarks.
    pub fn instant() -> Self {
        OutboxConfig {
            min_latency: Duration::ZERO,
            max_latency: Duration::ZERO,
            throttle_share: 0.0,
            failure_share: 0.0,
            seed: 0,
            opted_out_suffix: Some("99".into()),
        }
    }
}

pub struct OutboxNotifier {
    db: Db,
    config: OutboxConfig,
    rng: Mutex<ChaCha8Rng>,
}

impl OutboxNotifier {
    pub fn new(db: Db, config: OutboxConfig) -> Self {
        let rng = Mutex::new(ChaCha8Rng::seed_from_u64(config.seed));
        OutboxNotifier { db, config, rng }
    }

    /// The next simulated latency and outcome roll, from the seeded sequence.
    fn draw(&self) -> (Duration, f64) {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let (min, max) = (
            self.config.min_latency,
            self.config.max_latency.max(self.config.min_latency),
        );
        let latency = if max > min {
            rng.random_range(min..=max)
        } else {
            min
        };
        (latency, rng.random::<f64>())
    }
}

#[async_trait::async_trait]
impl Notifier for OutboxNotifier {
    async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError> {
        let (latency, roll) = self.draw();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if roll < self.config.throttle_share {
            return Err(NotifyError::Throttled("simulated throttling".into()));
        }
        if roll < self.config.throttle_share + self.config.failure_share {
            return Err(NotifyError::Permanent {
                code: "SimulatedFailure".into(),
                message: "the demo provider refused this message".into(),
            });
        }
        let id = uuid::Uuid::now_v7().to_string();
        let row = (id.clone(), message.clone());
        self.db
            .call(move |c| -> crate::Result<_> {
                let (id, m) = row;
                c.prepare_cached(
                    "INSERT INTO outbox (message_id, campaign_id, customer_id, channel, address, body, sms_type, sender_id, sent_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    id, m.campaign_id, m.customer_id, m.channel.as_str(), m.address, m.body,
                    m.sms_type.as_str(), m.sender_id, now_millis()
                ])?;
                Ok(())
            })
            .await
            .map_err(|e| NotifyError::Unreachable { code: "outbox".into(), message: e.to_string() })?;
        Ok(id)
    }

    async fn is_opted_out(&self, phone: &str) -> Result<bool, NotifyError> {
        Ok(self
            .config
            .opted_out_suffix
            .as_deref()
            .is_some_and(|s| phone.ends_with(s)))
    }

    async fn opt_out_filter(&self) -> Result<Option<OptOutFilter>, NotifyError> {
        let suffix = self.config.opted_out_suffix.clone();
        Ok(Some(OptOutFilter::new(move |phone| {
            suffix.as_deref().is_some_and(|s| phone.ends_with(s))
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{Channel, SmsType};

    fn message(n: usize) -> OutboundMessage {
        OutboundMessage {
            campaign_id: "k".into(),
            customer_id: format!("c-{n}"),
            channel: Channel::Sms,
            address: format!("+1202555{n:04}"),
            body: "hi".into(),
            sms_type: SmsType::Transactional,
            sender_id: None,
        }
    }

    async fn outcomes(seed: u64) -> Vec<String> {
        let db = Db::open_in_memory().unwrap();
        let config = OutboxConfig {
            throttle_share: 0.3,
            failure_share: 0.2,
            seed,
            ..OutboxConfig::instant()
        };
        let outbox = OutboxNotifier::new(db, config);
        let mut seen = Vec::new();
        for n in 0..60 {
            seen.push(match outbox.publish(&message(n)).await {
                Ok(_) => "sent".to_string(),
                Err(e) => e.code(),
            });
        }
        seen
    }

    #[tokio::test]
    async fn simulated_trouble_is_seeded_and_in_proportion() {
        let a = outcomes(42).await;
        assert_eq!(a, outcomes(42).await, "same seed, same story");
        assert_ne!(a, outcomes(43).await);
        let throttled = a.iter().filter(|o| *o == "Throttled").count();
        let failed = a.iter().filter(|o| *o == "SimulatedFailure").count();
        assert!((8..=30).contains(&throttled), "{throttled} of 60 throttled");
        assert!((3..=24).contains(&failed), "{failed} of 60 failed");
    }

    #[tokio::test]
    async fn sent_messages_land_in_the_outbox() {
        let db = Db::open_in_memory().unwrap();
        let outbox = OutboxNotifier::new(db.clone(), OutboxConfig::instant());
        let id = outbox.publish(&message(1)).await.unwrap();
        let stored: String = db
            .call(move |c| -> crate::Result<_> {
                Ok(c.query_row(
                    "SELECT address FROM outbox WHERE message_id = ?1",
                    [id],
                    |r| r.get(0),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(stored, "+12025550001");
        assert!(outbox.is_opted_out("+12025550099").await.unwrap());
        assert!(!outbox.is_opted_out("+12025550098").await.unwrap());
    }
}
