//! The verdict levels and the counted flags behind them.

use serde::{Deserialize, Serialize};

/// Verdict level by the buyer's rule: 0 doubts green, 1 yellow, 2 orange, 3+ red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Green,
    Yellow,
    Orange,
    Red,
}

/// The counted red flags and the level they add up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub level: Level,
    pub flags: Vec<String>,
    pub score: f64,
}
