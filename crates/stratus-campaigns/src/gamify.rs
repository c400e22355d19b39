//! Computed gamified values: the level table, rank by points, new badges.

use rusqlite::Connection;

use crate::customer::Customer;
use crate::Result;

/// A level and the points it starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub name: &'static str,
    pub min_points: i64,
}

/// The level table, lowest first.
pub const LEVELS: &[Level] = &[
    Level {
        name: "bronze",
        min_points: 0,
    },
    Level {
        name: "silver",
        min_points: 500,
    },
    Level {
        name: "gold",
        min_points: 2_000,
    },
    Level {
        name: "platinum",
        min_points: 5_000,
    },
    Level {
        name: "diamond",
        min_points: 10_000,
    },
];

/// The level `points` earn.
pub fn level_for(points: i64) -> &'static Level {
    LEVELS
        .iter()
        .rev()
        .find(|l| points >= l.min_points)
        .unwrap_or(&LEVELS[0])
}

/// The next level above `points` and how many points are missing; `None` at the top.
pub fn next_level(points: i64) -> Option<(&'static Level, i64)> {
    LEVELS
        .iter()
        .find(|l| l.min_points > points)
        .map(|l| (l, l.min_points - points))
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

/// 1 + the number of customers with more points (ties share a rank).
pub fn rank_blocking(conn: &Connection, points: i64) -> Result<i64> {
    let above: i64 = conn
        .prepare_cached("SELECT count(*) FROM customers WHERE points > ?1")?
        .query_row([points], |r| r.get(0))?;
    Ok(above + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_table_edges() {
        assert_eq!(level_for(0).name, "bronze");
        assert_eq!(level_for(499).name, "bronze");
        assert_eq!(level_for(500).name, "silver");
        assert_eq!(
            next_level(499).map(|(l, n)| (l.name, n)),
            Some(("silver", 1))
        );
        assert_eq!(
            next_level(1_200).map(|(l, n)| (l.name, n)),
            Some(("gold", 800))
        );
        assert_eq!(next_level(10_000), None);
    }

    #[test]
    fn new_badges_are_the_unannounced_ones() {
        let mut c = Customer::new("c1", "Ann");
        c.badges = vec!["early-bird".into(), "streak-7".into()];
        c.badges_notified = vec!["early-bird".into()];
        assert_eq!(new_badges(&c), vec!["streak-7".to_string()]);
    }
}
