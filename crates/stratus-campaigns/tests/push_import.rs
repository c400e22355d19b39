#![allow(clippy::unwrap_used)]
//! Push devices arrive with the customers: a `push_token` + `push_platform`
//! pair per row (CSV or NDJSON) becomes a device waiting for registration,
//! a row with half a pair is refused with its line, and the old
//! `push_endpoint_arn` column still becomes a device a campaign reaches.

use bytes::Bytes;
use stratus_campaigns::campaign::{CampaignSpec, Channel};
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::import::{import_customers, ImportFormat, ImportMode, ImportOptions};
use stratus_campaigns::push::{devices, Platform};
use stratus_core::db::Db;

fn options(format: ImportFormat) -> ImportOptions {
    ImportOptions {
        format,
        mode: ImportMode::ValidRows,
        default_region: None,
    }
}

#[tokio::test]
async fn device_tokens_and_endpoint_arns_import_as_devices() {
    let db = Db::open_in_memory().unwrap();
    let csv = "id,name,push_opt_in,push_token,push_platform,push_endpoint_arn\n\
        c-1,Ann Lee,yes,tok-ann,ios,\n\
        c-2,Bob Stone,yes,tok-bob,,\n\
        c-3,Cy Young,yes,,,arn:aws:sns:us-east-1:1:endpoint/GCM/app/cy\n";
    let report = import_customers(&db, Bytes::from(csv), options(ImportFormat::Csv))
        .await
        .unwrap();
    assert_eq!((report.inserted, report.devices), (2, 1), "{report:?}");
    assert_eq!(report.bad_rows.len(), 1);
    assert_eq!(report.bad_rows[0].line, 3);
    assert!(report.bad_rows[0].reason.contains("push platform"));

    let ann = db.call_blocking(|c| devices::list(c, "c-1")).unwrap();
    assert_eq!(ann.len(), 1);
    assert_eq!(
        (
            ann[0].platform,
            ann[0].token.as_deref(),
            ann[0].endpoint_arn.as_deref()
        ),
        (Platform::Apns, Some("tok-ann"), None),
        "waits for registration"
    );
    let cy = db.call_blocking(|c| devices::list(c, "c-3")).unwrap();
    assert_eq!(cy[0].platform, Platform::Fcm);

    // NDJSON: the same token again moves to whoever imports it last.
    let ndjson =
        "{\"id\":\"c-4\",\"name\":\"Dee\",\"push_token\":\"tok-ann\",\"push_platform\":\"apns\"}\n";
    let report = import_customers(&db, Bytes::from(ndjson), options(ImportFormat::Ndjson))
        .await
        .unwrap();
    assert_eq!(report.devices, 1);
    assert!(db
        .call_blocking(|c| devices::list(c, "c-1"))
        .unwrap()
        .is_empty());
    assert_eq!(
        db.call_blocking(|c| devices::list(c, "c-4")).unwrap().len(),
        1
    );

    // Only a registered device counts: Cy's imported endpoint does, the
    // unregistered tokens do not yet.
    let spec = CampaignSpec::new("p", Channel::Push, "", "hi");
    let report = dry_run::dry_run_spec(&db, spec, None, DryRunOptions::default())
        .await
        .unwrap();
    assert_eq!((report.eligible, report.devices), (1, 1));
    assert_eq!(report.skipped.get("no_address"), Some(&1), "{report:?}");
}
