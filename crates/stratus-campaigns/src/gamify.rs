//! Computed gamified values: the profile's level table, rank by points,
//! new badges and marking them announced.
//!
//! A customer's level is derived from their points by the profile's level
//! table (stored in `levels`, editable from the CLI and the app), never
//! read from an imported column: templates, segments (`level = gold`) and
//! the preview all ask [`LevelTable`], so editing the table changes them
//! all at once and a level can never disagree with the points.

use rusqlite::{params, Connection};

use crate::customer::Customer;
use crate::{Error, Result};

/// A level and the points it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub name: String,
    pub min_points: i64,
}

/// The table a new profile starts with (the one Stratus used to hard-code).
pub const DEFAULT_LEVELS: &[(&str, i64)] = &[
    ("bronze", 0),
    ("silver", 500),
    ("gold", 2_000),
    ("platinum", 5_000),
    ("diamond", 10_000),
];

/// Most levels a table may have (each one is a `CASE` arm in segment SQL).
pub const MAX_LEVELS: usize = 32;

/// A valid level table, lowest first: thresholds strictly rising from 0,
/// names unique (ignoring case), so every customer has exactly one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelTable {
    levels: Vec<Level>,
}

impl Default for LevelTable {
    fn default() -> Self {
        LevelTable {
            levels: DEFAULT_LEVELS
                .iter()
                .map(|(name, min_points)| Level {
                    name: (*name).to_string(),
                    min_points: *min_points,
                })
                .collect(),
        }
    }
}

impl LevelTable {
    /// Checks and sorts `levels`; names are trimmed and lower-cased.
    pub fn new(levels: Vec<Level>) -> Result<Self> {
        let invalid = |m: String| Err(Error::InvalidCampaign(format!("level table: {m}")));
        let mut levels: Vec<Level> = levels
            .into_iter()
            .map(|l| Level {
                name: l.name.trim().to_lowercase(),
                min_points: l.min_points,
            })
            .collect();
        levels.sort_by_key(|l| l.min_points);
        if levels.is_empty() || levels.len() > MAX_LEVELS {
            return invalid(format!("between 1 and {MAX_LEVELS} levels, please"));
        }
        if levels[0].min_points != 0 {
            return invalid("the lowest level must start at 0 points, so everyone has one".into());
        }
        for (i, level) in levels.iter().enumerate() {
            let ok_name = !level.name.is_empty()
                && level.name.len() <= 40
                && level
                    .name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !ok_name {
                return invalid(format!(
                    "`{}` is not a level name (letters, digits, - and _)",
                    level.name
                ));
            }
            if let Some(prev) = i.checked_sub(1).map(|p| &levels[p]) {
                if prev.min_points == level.min_points {
                    return invalid(format!(
                        "`{}` and `{}` both start at {} points",
                        prev.name, level.name, level.min_points
                    ));
                }
            }
            if levels[..i].iter().any(|l| l.name == level.name) {
                return invalid(format!("`{}` appears twice", level.name));
            }
        }
        Ok(LevelTable { levels })
    }

    /// `name=points` pairs separated by commas: `bronze=0,silver=500`.
    pub fn parse(text: &str) -> Result<Self> {
        let levels = text
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|pair| {
                let (name, points) = pair.split_once('=').ok_or_else(|| {
                    Error::InvalidCampaign(format!(
                        "level table: `{}` should be name=points",
                        pair.trim()
                    ))
                })?;
                let min_points = points.trim().parse::<i64>().map_err(|_| {
                    Error::InvalidCampaign(format!(
                        "level table: `{}` is not a whole number of points",
                        points.trim()
                    ))
                })?;
                Ok(Level {
                    name: name.to_string(),
                    min_points,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        LevelTable::new(levels)
    }

    /// The levels, lowest first.
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    /// The level `points` earn.
    pub fn level_for(&self, points: i64) -> &Level {
        self.levels
            .iter()
            .rev()
            .find(|l| points >= l.min_points)
            .unwrap_or(&self.levels[0])
    }

    /// The next level above `points` and how many points are missing; `None` at the top.
    pub fn next_level(&self, points: i64) -> Option<(&Level, i64)> {
        self.levels
            .iter()
            .find(|l| l.min_points > points)
            .map(|l| (l, l.min_points - points))
    }

    /// The level of `points_column` as a SQL expression, with its
    /// parameters in order (for segments: `level = gold`).
    pub fn sql_case(&self, points_column: &str) -> (String, Vec<rusqlite::types::Value>) {
        let mut sql = String::from("(CASE");
        let mut params = Vec::new();
        for level in self.levels.iter().skip(1).rev() {
            sql.push_str(&format!(" WHEN {points_column} >= ? THEN ?"));
            params.push(level.min_points.into());
            params.push(level.name.clone().into());
        }
        sql.push_str(" ELSE ? END)");
        params.push(self.levels[0].name.clone().into());
        (sql, params)
    }
}

/// The profile's level table (blocking).
pub fn levels_blocking(conn: &Connection) -> Result<LevelTable> {
    let mut stmt =
        conn.prepare_cached("SELECT name, min_points FROM levels ORDER BY min_points")?;
    let levels = stmt
        .query_map([], |r| {
            Ok(Level {
                name: r.get(0)?,
                min_points: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if levels.is_empty() {
        // Only a hand-edited database gets here; the migration seeds it.
        return Ok(LevelTable::default());
    }
    LevelTable::new(levels)
}

/// Replaces the profile's level table in one transaction (blocking).
pub fn set_levels_blocking(conn: &mut Connection, table: &LevelTable) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute("DELETE FROM levels", [])?;
    {
        let mut insert = tx.prepare("INSERT INTO levels (name, min_points) VALUES (?1, ?2)")?;
        for level in table.levels() {
            insert.execute(params![level.name, level.min_points])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub async fn levels(db: &stratus_core::db::Db) -> Result<LevelTable> {
    db.read(levels_blocking).await
}

pub async fn set_levels(db: &stratus_core::db::Db, table: LevelTable) -> Result<LevelTable> {
    db.call(move |c| -> Result<_> {
        set_levels_blocking(c, &table)?;
        levels_blocking(c)
    })
    .await
}

/// Badges the customer has earned but not yet been told about.
pub fn new_badges(customer: &Customer) -> Vec<String> {
    customer
        .badges
        .iter()
        .filter(|b| !customer.badges_notified.contains(b))
        .cloned()
        .collect()
}

/// Adds `badges` to the customer's announced ones (a set: no repeats).
/// Called in the transaction that marks the announcing message sent.
pub fn mark_announced(conn: &Connection, customer_id: &str, badges: &[String]) -> Result<()> {
    if badges.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE customers SET badges_notified = (
             SELECT json_group_array(value) FROM (
                 SELECT value FROM json_each(customers.badges_notified)
                 UNION SELECT value FROM json_each(?2)))
         WHERE id = ?1",
    )?
    .execute(params![customer_id, crate::customer::json_list(badges)])?;
    Ok(())
}

/// 1 + the number of customers with more points (ties share a rank).
pub fn rank_blocking(conn: &Connection, points: i64) -> Result<i64> {
    let above: i64 = conn
        .prepare_cached("SELECT count(*) FROM customers WHERE points > ?1")?
        .query_row([points], |r| r.get(0))?;
    Ok(above + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn level_table_edges() {
        let t = LevelTable::default();
        assert_eq!(t.level_for(0).name, "bronze");
        assert_eq!(t.level_for(499).name, "bronze");
        assert_eq!(t.level_for(500).name, "silver");
        assert_eq!(
            t.next_level(499).map(|(l, n)| (l.name.as_str(), n)),
            Some(("silver", 1))
        );
        assert_eq!(
            t.next_level(1_200).map(|(l, n)| (l.name.as_str(), n)),
            Some(("gold", 800))
        );
        assert_eq!(t.next_level(10_000), None);
    }

    #[test]
    fn a_table_must_give_everyone_exactly_one_level() {
        let bad = |text: &str| LevelTable::parse(text).unwrap_err().to_string();
        assert!(bad("").contains("between 1 and"));
        assert!(bad("silver=500").contains("start at 0"));
        assert!(bad("a=0,b=10,c=10").contains("both start at 10"));
        assert!(bad("a=0,A=10").contains("appears twice"));
        assert!(bad("a=0,b=ten").contains("not a whole number"));
        assert!(bad("a=0,b c=3").contains("not a level name"));
        let t = LevelTable::parse(" Rookie = 0, pro=100 ,legend=1000").unwrap();
        assert_eq!(t.level_for(150).name, "pro");
        assert_eq!(t.levels()[0].name, "rookie");
    }

    #[test]
    fn the_sql_level_agrees_with_level_for() {
        let db = stratus_core::db::Db::open_in_memory().unwrap();
        let t = LevelTable::parse("rookie=0,pro=100,legend=1000").unwrap();
        let points = [0, 99, 100, 999, 1000, 50_000];
        let (sql, params) = t.sql_case("points");
        let levels: Vec<(i64, String)> = db
            .call_blocking(move |c| -> Result<_> {
                for p in points {
                    let mut customer = Customer::new(format!("c{p}"), "x");
                    customer.points = p;
                    crate::customer::upsert(c, &customer, 0)?;
                }
                let mut stmt = c.prepare(&format!(
                    "SELECT points, {sql} FROM customers ORDER BY points"
                ))?;
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(params), |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .unwrap();
        for (points, level) in levels {
            assert_eq!(level, t.level_for(points).name, "{points} points");
        }
    }

    #[test]
    fn new_badges_are_the_unannounced_ones() {
        let mut c = Customer::new("c1", "Ann");
        c.badges = vec!["early-bird".into(), "streak-7".into()];
        c.badges_notified = vec!["early-bird".into()];
        assert_eq!(new_badges(&c), vec!["streak-7".to_string()]);
    }
}
