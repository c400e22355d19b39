//! The profile's level table as the campaign settings edit it.

use serde::{Deserialize, Serialize};
use stratus_campaigns::gamify::{Level, LevelTable};
use ts_rs::TS;

/// One level: its name and the points it starts at.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LevelView {
    pub name: String,
    #[ts(type = "number")]
    pub min_points: i64,
}

impl LevelView {
    pub fn list(table: &LevelTable) -> Vec<LevelView> {
        table
            .levels()
            .iter()
            .map(|l| LevelView {
                name: l.name.clone(),
                min_points: l.min_points,
            })
            .collect()
    }

    pub fn table(levels: Vec<LevelView>) -> stratus_campaigns::Result<LevelTable> {
        LevelTable::new(
            levels
                .into_iter()
                .map(|l| Level {
                    name: l.name,
                    min_points: l.min_points,
                })
                .collect(),
        )
    }
}
