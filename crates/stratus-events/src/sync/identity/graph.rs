//! The identity graph in the cache (migration 0011): `identity_links` (one
//! row per linking event: kind, the two ids, when), `identities` (every
//! linked id → its person id) and `events.person`.
//!
//! A person id is the smallest user id among the person's ids (an id that
//! was the user side of an identify or the new side of an alias), or the
//! smallest id when none is. It depends only on which ids are linked, never
//! on the order the links arrived in: the same batches in any order, or a
//! rebuild from the links, give the same graph.
//!
//! An id in no link is its own person and has no `identities` row. An event
//! belongs to the person of its `distinct_id`, else of its `anonymous_id`;
//! a merge moves the events of both old persons to the new id in the same
//! transaction (`events_by_person` finds them).

use rusqlite::{params, Connection, OptionalExtension};

use crate::sync::identity::link::IdentityLink;

/// The SQL expression of an event's person at insert time, for the ids in
/// parameters `?dist` and `?anon` (spelled by the caller).
pub fn person_expression(dist: &str, anon: &str) -> String {
    format!(
        "coalesce((SELECT person FROM identities WHERE id = coalesce({dist}, {anon})), {dist}, {anon})"
    )
}

/// The person an id belongs to (the id itself when it is in no link).
pub fn person_of(conn: &Connection, id: &str) -> rusqlite::Result<String> {
    Ok(conn
        .prepare_cached("SELECT person FROM identities WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| id.to_string()))
}

/// Records `links` and merges the persons they join, inside the caller's
/// transaction. A link seen before (same event) changes nothing.
pub fn apply_links(conn: &Connection, links: &[IdentityLink]) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO identity_links (event_id, kind, id, other, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for link in links {
        let new = insert.execute(params![
            link.event_id,
            link.kind.as_str(),
            link.id,
            link.other,
            link.at
        ])?;
        if new > 0 && link.kind.merges() {
            merge(conn, &link.id, &link.other)?;
        }
    }
    Ok(())
}

/// Makes `user` (the user or new side of a link) and `other` one person,
/// and gives the person its id by the rule above.
fn merge(conn: &Connection, user: &str, other: &str) -> rusqlite::Result<()> {
    let mut add = conn.prepare_cached(
        "INSERT INTO identities (id, person, user) VALUES (?1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET user = max(user, excluded.user)",
    )?;
    add.execute(params![user, 1])?;
    add.execute(params![other, 0])?;
    let a = person_of(conn, user)?;
    let b = person_of(conn, other)?;
    // Even when both are one person already, `user` may just have become a
    // user id and so the person's id.
    let id: String = conn
        .prepare_cached(
            "SELECT id FROM identities WHERE person IN (?1, ?2) ORDER BY user DESC, id LIMIT 1",
        )?
        .query_row(params![a, b], |r| r.get(0))?;
    for sql in [
        "UPDATE identities SET person = ?3 WHERE person IN (?1, ?2) AND person <> ?3",
        "UPDATE events SET person = ?3 WHERE person IN (?1, ?2) AND person <> ?3",
    ] {
        conn.prepare_cached(sql)?.execute(params![a, b, id])?;
    }
    Ok(())
}

/// Builds the graph again from `identity_links`: every event back to the
/// person of its own id, then every merging link applied. Used once after
/// the migration that created the graph (its links come from the cached
/// `identify` events), and by tests to compare with the incremental graph.
pub fn rebuild(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM identities", [])?;
    tx.execute(
        "UPDATE events SET person = coalesce(distinct_id, anonymous_id)
         WHERE person IS NOT coalesce(distinct_id, anonymous_id)",
        [],
    )?;
    let pairs = {
        let mut stmt = tx.prepare(
            "SELECT id, other FROM identity_links WHERE kind <> 'group' ORDER BY event_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    for (user, other) in &pairs {
        merge(&tx, user, other)?;
    }
    tx.execute("UPDATE identity_state SET built = 1", [])?;
    tx.commit()
}

/// Rebuilds the graph if the cache has links it was never built from (a
/// cache upgraded by migration 0011). Cheap when built: one row read.
pub fn ensure_built(conn: &mut Connection) -> rusqlite::Result<bool> {
    let built: bool = conn
        .query_row("SELECT built FROM identity_state", [], |r| r.get(0))
        .optional()?
        .unwrap_or(true);
    if !built {
        rebuild(conn)?;
    }
    Ok(!built)
}
