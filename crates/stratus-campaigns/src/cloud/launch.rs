//! Launching in the cloud, the desktop's side: the audience is frozen as
//! for a local run (recipients rows), each message is rendered here, the
//! manifest goes to the bucket in chunks, the control item to DynamoDB,
//! and one queue message per chunk starts the workers. After that the
//! laptop may close: the run goes on and the rows catch up later
//! ([`super::catch_up`]).

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use bytes::Bytes;
use rusqlite::params;
use stratus_core::db::Db;
use stratus_core::store::{ObjectStore, PutOptions};

use super::control::Control;
use super::manifest::{self, ManifestEntry, CHUNK_SIZE};
use super::marks::MarkTable;
use super::queue::{ChunkMessage, ChunkQueue};
use super::rules::Rules;
use super::runs::{self, CloudRun, CloudRunState};
use super::schedule::RunSchedules;
use super::sends;
use super::waves::Waves;
use crate::campaign::{self, Campaign, CampaignState};
use crate::eligibility::{self, Moment, SkipReason};
use crate::gamify::{self, LevelTable};
use crate::message::CampaignMessage;
use crate::push;
use crate::recipients::RecipientStatus;
use crate::runner::{self, PendingRecipient};
use crate::template::TemplateContext;
use crate::{Error, Result};

/// What the deploy created for cloud runs (the stack's outputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudTarget {
    /// The marks table.
    pub table: String,
    /// The chunk queue the worker function consumes.
    pub queue_url: String,
    /// Workers that may run at once (the function's reserved concurrency).
    pub workers: u32,
    /// The role EventBridge Scheduler sends a scheduled run's start with;
    /// without it a campaign scheduled for later cannot start in the cloud.
    pub scheduler_role: Option<String>,
}

/// The services a cloud run talks to, from the desktop or a worker.
#[derive(Clone)]
pub struct CloudServices {
    pub marks: MarkTable,
    pub queue: ChunkQueue,
    /// The bucket the manifests go to (the profile's events bucket, under
    /// `campaigns/`).
    pub manifests: Arc<dyn ObjectStore>,
    pub workers: u32,
    pub schedules: Option<RunSchedules>,
}

impl CloudServices {
    pub fn new(sdk: &SdkConfig, target: &CloudTarget, manifests: Arc<dyn ObjectStore>) -> Self {
        CloudServices {
            marks: MarkTable::new(aws_sdk_dynamodb::Client::new(sdk), &target.table),
            queue: ChunkQueue::new(aws_sdk_sqs::Client::new(sdk), &target.queue_url),
            manifests,
            workers: target.workers.max(1),
            schedules: target
                .scheduler_role
                .as_ref()
                .map(|role| RunSchedules::new(aws_sdk_scheduler::Client::new(sdk), role)),
        }
    }
}

/// What a launch in the cloud did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudLaunch {
    pub run_id: String,
    pub round: i64,
    /// Recipients handed to the workers.
    pub recipients: u64,
    pub chunks: u32,
    /// Recipients settled here instead (not eligible now, message does not
    /// render, customer deleted).
    pub settled_here: u64,
    /// Recipients in quiet hours at the start: their chunks wait for the
    /// end of their window (a campaign whose quiet hours wait).
    pub waiting: u64,
    /// It starts later, from its schedule.
    pub scheduled: bool,
}

/// Launches (a draft), or goes on with an upload that stopped halfway,
/// and hands the campaign's pending recipients to the cloud workers. A
/// campaign scheduled for later is uploaded now and started at its time
/// by a one-time schedule ([`super::schedule`]); it stays `scheduled`
/// until then.
pub async fn launch(
    db: &Db,
    services: &CloudServices,
    campaign_id: &str,
    now: i64,
) -> Result<CloudLaunch> {
    let (campaign, run) = begin(db, services, campaign_id, now).await?;
    let start_at = campaign.spec.scheduled_at.filter(|&at| at > now);
    // Who waits for quiet hours is grouped for the moment the run starts;
    // the workers judge them again when each message leaves.
    let send_at = start_at.unwrap_or(now);
    let template = CampaignMessage::compile(&campaign.spec)?;
    let with_rank = template.uses("rank");
    let levels = db.call(|c| gamify::levels_blocking(c)).await?;
    let mut cursor = String::new();
    let (mut waves, mut messages) = (Waves::new(CHUNK_SIZE), Vec::new());
    let (mut recipients, mut settled_here, mut waiting) = (0u64, 0u64, 0u64);
    loop {
        let page = {
            let (id, after) = (campaign.id.clone(), cursor.clone());
            // Every pending row, waiting ones included: they wait in the
            // cloud now.
            db.call(move |c| runner::pending_page(c, &id, &after, 500, with_rank, i64::MAX))
                .await?
        };
        let Some(last) = page.last() else { break };
        cursor = last.customer_id.clone();
        let devices = devices_of(db, &campaign, &page).await?;
        let page = Page {
            recipients: page,
            devices,
        };
        let (entries, settled) = render_page(&campaign, &template, &levels, page, send_at);
        settled_here += settled.len() as u64;
        record_page(db, &campaign.id, &entries, settled).await?;
        if let Some(cap) = campaign.spec.frequency_cap {
            seed_sends(db, services, &entries, now - cap.window_millis(), now).await?;
        }
        for (entry, not_before) in entries {
            recipients += 1;
            waiting += u64::from(not_before.is_some());
            if let Some(full) = waves.push(entry, not_before) {
                messages.push(upload(services, &run.run_id, messages.len(), full).await?);
            }
        }
    }
    for rest in waves.finish() {
        messages.push(upload(services, &run.run_id, messages.len(), rest).await?);
    }
    let chunks = messages.len() as u32;
    if recipients == 0 {
        // Nobody to send to in the cloud: the run is over already.
        let (id, run_id) = (campaign.id.clone(), run.run_id.clone());
        db.call(move |c| -> Result<()> {
            runs::set_finished(c, &run_id)?;
            if campaign::get_blocking(c, &id)?.state == CampaignState::Scheduled {
                campaign::transition_blocking(c, &id, CampaignState::Running, None)?;
            }
            campaign::transition_blocking(c, &id, CampaignState::Completed, None)?;
            Ok(())
        })
        .await?;
    } else {
        let control = Control {
            campaign_id: campaign.id.clone(),
            state: if start_at.is_some() {
                CampaignState::Scheduled
            } else {
                CampaignState::Running
            },
            rate_per_sec: campaign.spec.rate_per_sec,
            workers: services.workers,
            channel: campaign.spec.channel,
            sms_type: campaign.spec.sms_type,
            sender_id: campaign.spec.sender_id.clone(),
            rules: Rules::of(&campaign.spec),
            recipients,
            chunks,
            updated: now,
        };
        // The control item before the messages: a worker that gets a
        // chunk always finds it.
        services.marks.put_control(&run.run_id, &control).await?;
        match (start_at, &services.schedules) {
            (Some(at), Some(schedules)) => {
                let queue_arn = services.queue.arn().await?;
                schedules.create(&run.run_id, at, &queue_arn).await?;
            }
            _ => services.queue.send_all(&messages).await?,
        }
        let run_id = run.run_id.clone();
        db.call(move |c| runs::set_started(c, &run_id, i64::from(chunks), recipients as i64))
            .await?;
    }
    Ok(CloudLaunch {
        run_id: run.run_id,
        round: run.round,
        recipients,
        chunks,
        settled_here,
        waiting,
        scheduled: start_at.is_some() && recipients > 0,
    })
}

/// Freezes the audience (a draft), moves the campaign to `running` and
/// records the round, in one transaction; or finds the round an earlier
/// launch left uploading.
async fn begin(
    db: &Db,
    services: &CloudServices,
    campaign_id: &str,
    now: i64,
) -> Result<(Campaign, CloudRun)> {
    if crate::run::is_attached(db, campaign_id)? {
        return Err(Error::RunnerBusy(campaign_id.to_string()));
    }
    let (id, table, queue, bucket) = (
        campaign_id.to_string(),
        services.marks.name().to_string(),
        services.queue.url().to_string(),
        services.manifests.location(),
    );
    let schedulable = services.schedules.is_some();
    db.call(move |c| -> Result<_> {
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current = campaign::get_blocking(&tx, &id)?;
        let latest = runs::latest_blocking(&tx, &id)?;
        if let Some(run) = latest.as_ref().filter(|r| r.state == CloudRunState::Uploading) {
            let run = run.clone();
            tx.commit()?;
            return Ok((current, run));
        }
        if let Some(run) = latest.as_ref().filter(|r| r.is_active()) {
            return Err(Error::RunsInCloud(run.campaign_id.clone()));
        }
        let later = current.spec.scheduled_at.is_some_and(|at| at > now);
        if later && !schedulable {
            return Err(Error::InvalidCampaign(
                "a campaign scheduled for later needs the deploy's scheduler role to start in the cloud: run `stratus deploy` again, or clear the schedule".into(),
            ));
        }
        match current.state {
            CampaignState::Draft => {
                campaign::launch_in(&tx, &id, now)?;
            }
            CampaignState::Scheduled => {}
            from => {
                return Err(Error::IllegalTransition {
                    from,
                    to: CampaignState::Running,
                })
            }
        }
        if !later {
            campaign::transition_blocking(&tx, &id, CampaignState::Running, None)?;
        }
        let round = latest.map_or(1, |r| r.round + 1);
        let run = CloudRun {
            campaign_id: id.clone(),
            round,
            run_id: format!("{id}.{round}"),
            table_name: table,
            queue_url: queue,
            bucket,
            chunks: 0,
            recipients: 0,
            state: CloudRunState::Uploading,
            caught_up_to: 0,
            created_at: now,
        };
        runs::insert(&tx, &run)?;
        let campaign = campaign::get_blocking(&tx, &id)?;
        tx.commit()?;
        Ok((campaign, run))
    })
    .await
}

/// A recipient settled here: (customer, status, reason, error).
type SettledHere = (
    String,
    RecipientStatus,
    Option<String>,
    Option<(String, String)>,
);

/// An entry for the workers and the end of its quiet hours at the run's
/// start, if it has to wait for it.
type Entry = (ManifestEntry, Option<i64>);

/// A page of pending recipients, and for push the endpoints of each one's
/// devices enabled now (the devices the message goes to).
struct Page {
    recipients: Vec<PendingRecipient>,
    devices: HashMap<String, Vec<String>>,
}

/// Push: every recipient's sendable endpoints, read once for the page.
async fn devices_of(
    db: &Db,
    campaign: &Campaign,
    page: &[PendingRecipient],
) -> Result<HashMap<String, Vec<String>>> {
    if campaign.spec.channel != crate::campaign::Channel::Push {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = page.iter().map(|r| r.customer_id.clone()).collect();
    db.call(move |c| -> Result<_> {
        let mut devices = HashMap::new();
        for id in ids {
            let endpoints = push::sendable_endpoints(c, &id)?;
            devices.insert(id, endpoints);
        }
        Ok(devices)
    })
    .await
}

/// Renders a page: the entries for the workers and who is settled here
/// (the same rules, in the same order, as the local runner's send; quiet
/// hours and the frequency cap are the workers', when each message
/// leaves).
fn render_page(
    campaign: &Campaign,
    template: &CampaignMessage,
    levels: &LevelTable,
    mut page: Page,
    now: i64,
) -> (Vec<Entry>, Vec<SettledHere>) {
    let (mut entries, mut settled) = (Vec::new(), Vec::new());
    let is_push = campaign.spec.channel == crate::campaign::Channel::Push;
    for rec in page.recipients {
        let skipped = |reason: SkipReason| {
            let reason = Some(reason.as_str().to_string());
            (
                rec.customer_id.clone(),
                RecipientStatus::Skipped,
                reason,
                None,
            )
        };
        let Some(customer) = &rec.customer else {
            settled.push(skipped(SkipReason::CustomerDeleted));
            continue;
        };
        let address = match eligibility::check(
            customer,
            rec.address.as_deref(),
            &campaign.spec,
            Moment::Launch,
        ) {
            Ok(address) => address.to_string(),
            Err(reason) => {
                settled.push(skipped(reason));
                continue;
            }
        };
        let context = TemplateContext::new(customer, rec.rank, levels);
        let body = match template.render(&context) {
            Ok(body) => body,
            Err(e) => {
                settled.push((
                    rec.customer_id.clone(),
                    RecipientStatus::Failed,
                    None,
                    Some(("template_error".into(), e.to_string())),
                ));
                continue;
            }
        };
        let devices = page.devices.remove(&rec.customer_id).unwrap_or_default();
        if is_push && devices.is_empty() {
            // Every device disabled since launch: what the local fan-out
            // answers when no device is left.
            settled.push(skipped(SkipReason::EndpointDisabled));
            continue;
        }
        // A template that reads `new_badges` announces them (as locally).
        let announced = if template.uses("new_badges") {
            context.new_badges
        } else {
            Vec::new()
        };
        let not_before = eligibility::quiet_hours_end(&campaign.spec, &customer.time_zone, now);
        let time_zone = customer.time_zone.clone();
        let entry = ManifestEntry {
            customer_id: rec.customer_id,
            address,
            body,
            devices,
            announced,
            time_zone,
        };
        entries.push((entry, not_before));
    }
    (entries, settled)
}

/// Keeps each entry's text on its row (the table shows what is sent),
/// marks who waits for quiet hours (the run view says so) and settles the
/// rest.
async fn record_page(
    db: &Db,
    campaign_id: &str,
    entries: &[Entry],
    settled: Vec<SettledHere>,
) -> Result<()> {
    let id = campaign_id.to_string();
    let rendered: Vec<(String, String)> = entries
        .iter()
        .map(|(e, _)| (e.customer_id.clone(), e.body.clone()))
        .collect();
    let waiting: Vec<(String, i64)> = entries
        .iter()
        .filter_map(|(e, at)| Some((e.customer_id.clone(), (*at)?)))
        .collect();
    db.call(move |c| -> Result<()> {
        runner::defer(c, &id, &waiting)?;
        let tx = c.transaction()?;
        {
            let mut keep = tx.prepare_cached(
                "UPDATE recipients SET rendered = ?3 WHERE campaign_id = ?1 AND customer_id = ?2",
            )?;
            for (customer, body) in &rendered {
                keep.execute(params![id, customer, body])?;
            }
        }
        for (customer, status, reason, error) in &settled {
            let error = error.as_ref().map(|(c, m)| (c.as_str(), m.as_str()));
            runner::mark(&tx, &id, customer, *status, reason.as_deref(), error)?;
        }
        tx.commit()?;
        Ok(())
    })
    .await
}

/// What this computer knows was sent to the page's customers since
/// `since` goes to their sends items, so the workers' frequency cap
/// counts local runs too.
async fn seed_sends(
    db: &Db,
    services: &CloudServices,
    entries: &[Entry],
    since: i64,
    now: i64,
) -> Result<()> {
    let customers: Vec<String> = entries.iter().map(|(e, _)| e.customer_id.clone()).collect();
    let known = db
        .read(move |c| -> Result<Vec<(String, Vec<sends::LocalSend>)>> {
            let mut known = Vec::new();
            for customer in customers {
                let sent = sends::local_sends_blocking(c, &customer, since)?;
                if !sent.is_empty() {
                    known.push((customer, sent));
                }
            }
            Ok(known)
        })
        .await?;
    for (customer, sent) in known {
        services.marks.seed_sends(&customer, &sent, now).await?;
    }
    Ok(())
}

/// Puts one chunk in the bucket; its queue message (with the time it
/// waits for, if its recipients wait for quiet hours).
async fn upload(
    services: &CloudServices,
    run_id: &str,
    index: usize,
    (not_before, entries): (Option<i64>, Vec<ManifestEntry>),
) -> Result<ChunkMessage> {
    let chunk = u32::try_from(index).map_err(|_| Error::Cloud("too many chunks".into()))?;
    let key = manifest::chunk_key(run_id, chunk);
    let options = PutOptions {
        content_type: Some("application/x-ndjson".into()),
        ..PutOptions::default()
    };
    services
        .manifests
        .put(&key, Bytes::from(manifest::encode(&entries)?), options)
        .await
        .map_err(|e| Error::Cloud(format!("cannot upload {key}: {e}")))?;
    Ok(ChunkMessage {
        run: run_id.to_string(),
        chunk,
        key,
        not_before,
        only: None,
    })
}
