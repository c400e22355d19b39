//! Files the app writes for the user. The webview never names a path (a
//! string from it could be `~/.bashrc`): exports are new files in
//! `<data dir>/exports/`, named here, `0600`, never written over an existing
//! file; the UI shows the path it got back.

use std::io::BufWriter;
use std::path::PathBuf;

use stratus_campaigns::campaign;
use stratus_campaigns::recipients::RecipientStatus;
use stratus_campaigns::recipients::{self, RecipientFilter};
use stratus_core::home::AppHome;
use stratus_core::private_files;
use stratus_core::stack::Stack;

use crate::error::AppError;

fn io_error(what: &str, e: std::io::Error) -> AppError {
    AppError::new("io", format!("{what}: {e}"))
}

/// Writes a campaign's recipients (all, or one status) as CSV to a new file
/// in the exports folder; returns the file and its row count.
pub async fn campaign_recipients(
    home: &AppHome,
    stack: &Stack,
    campaign_id: &str,
    status: Option<RecipientStatus>,
) -> Result<(PathBuf, u64), AppError> {
    // Only a campaign that exists names a file; its id is made file-safe anyway.
    let campaign = campaign::get(&stack.db, campaign_id).await?;
    let suffix = status.map_or("all", RecipientStatus::as_str);
    let stem = format!(
        "campaign-{}-{suffix}",
        private_files::safe_stem(&campaign.id)
    );
    let dir = home.exports_dir();
    let db = stack.db.clone();
    let id = campaign.id.clone();
    tokio::task::spawn_blocking(move || {
        private_files::private_dir(&dir)
            .map_err(|e| io_error(&format!("cannot create {}", dir.display()), e))?;
        let (part, file) = private_files::create_part(&dir, &stem)
            .map_err(|e| io_error(&format!("cannot write in {}", dir.display()), e))?;
        let filter = RecipientFilter {
            status,
            error_code: None,
        };
        let written = db
            .open_reader()
            .map_err(AppError::from)
            .and_then(|conn| {
                recipients::export_csv_blocking(&conn, &id, &filter, BufWriter::new(file))
                    .map_err(AppError::from)
            })
            .and_then(|rows| {
                private_files::publish(&part, &dir, &stem, "csv")
                    .map(|path| (path, rows))
                    .map_err(|e| {
                        io_error(&format!("cannot name the export in {}", dir.display()), e)
                    })
            });
        if written.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        written
    })
    .await
    .map_err(|e| AppError::new("internal", format!("export worker failed: {e}")))?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use stratus_campaigns::campaign::{CampaignSpec, Channel};
    use stratus_core::profile::Profile;

    use super::*;

    async fn demo_stack() -> (tempfile::TempDir, AppHome, Stack) {
        let dir = tempfile::tempdir().unwrap();
        let home = AppHome::new(dir.path().join("data"));
        let stack = Stack::open(&home, Profile::demo()).await.unwrap();
        (dir, home, stack)
    }

    #[tokio::test]
    async fn a_recipient_export_is_a_new_private_file_in_the_exports_folder() {
        let (_dir, home, stack) = demo_stack().await;
        let spec = CampaignSpec::new("Export", Channel::Sms, "", "Hi {{ first_name }}");
        let c = campaign::create_draft(&stack.db, spec).await.unwrap();
        // A file already there under the name the export would take.
        let taken = home
            .exports_dir()
            .join(format!("campaign-{}-all.csv", c.id));
        private_files::private_dir(&home.exports_dir()).unwrap();
        std::fs::write(&taken, "keep me").unwrap();

        let (path, rows) = campaign_recipients(&home, &stack, &c.id, None)
            .await
            .unwrap();
        assert_eq!(rows, 0);
        assert_eq!(
            path,
            home.exports_dir()
                .join(format!("campaign-{}-all-2.csv", c.id))
        );
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("customer_id,"));
        assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep me");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[tokio::test]
    async fn a_campaign_id_cannot_steer_the_file_elsewhere() {
        let (dir, home, stack) = demo_stack().await;
        let err = campaign_recipients(&home, &stack, "../../../.bashrc", None)
            .await
            .unwrap_err();
        assert_eq!(err.code, "campaign_not_found");
        assert!(!dir.path().join(".bashrc").exists());
        assert!(!home.exports_dir().exists());
    }
}
