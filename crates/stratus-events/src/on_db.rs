//! Running this crate's database work on the profile database's blocking
//! pool, with this crate's errors: the one-liner the desktop commands and
//! the CLI wrap around [`crate::query`], [`crate::facets`], [`crate::export`]
//! and [`crate::retention`].

use rusqlite::Connection;
use stratus_core::db::Db;

use crate::error::Result;

/// Runs `work` inside [`Db::call`] (never on the async workers).
pub async fn on_db<T, F>(db: &Db, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
{
    db.call(move |conn| Ok(work(conn))).await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::EventFilter;
    use crate::query::events_page;

    #[tokio::test]
    async fn errors_of_this_crate_come_back_typed() {
        let db = Db::open_in_memory().unwrap();
        let page = on_db(&db, |c| events_page(c, &EventFilter::default(), None, 10))
            .await
            .unwrap();
        assert!(page.events.is_empty() && page.next.is_none());
        let err = on_db(&db, |c| {
            events_page(c, &EventFilter::default(), Some("not-a-cursor"), 10)
        })
        .await
        .unwrap_err();
        assert_eq!(err.code(), "invalid_cursor");
    }
}
