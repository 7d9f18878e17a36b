//! The "since the previous run" section of the report (with `--state`): what happened to the
//! profile ids, and how the headline figures moved. Filled by `commands::merge` from the
//! state's previous metrics and `state::stable`'s change events; pure data, no I/O.

use serde::{Deserialize, Serialize};

use super::Report;
use super::round4;
use crate::profile::history::{Carried, Event};

/// Figures of one run that drift alarms and `since_previous` compare.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunMetrics {
    /// Rows read.
    pub rows_read: u64,
    /// Profiles.
    pub profiles: u64,
    /// Match rate (share of profiles in 2+ sources).
    pub match_rate: f64,
    /// Records in the largest profile.
    pub largest_profile: u64,
    /// Share of rows that joined no profile.
    pub reject_share: f64,
    /// Campaign figures (issue 18); absent in the states of older runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<crate::report::campaign::CampaignFigures>,
}

impl RunMetrics {
    /// The figures of a finished run.
    pub fn of(report: &Report) -> RunMetrics {
        let t = &report.totals;
        RunMetrics {
            rows_read: t.rows_read,
            profiles: t.profiles,
            match_rate: report.match_rate.overall,
            largest_profile: report
                .cluster_sizes
                .largest
                .first()
                .map_or(0, |p| p.records),
            reject_share: t.reject_share(),
            campaign: Some(crate::report::campaign::CampaignFigures::of(
                &report.campaign,
            )),
        }
    }
}

/// `since_previous` in report.json.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SincePrevious {
    /// This run's number on the state (1 = first).
    pub run: u32,
    /// When the previous run finished (UTC).
    pub previous_run_at: String,
    /// True when this run read only new files (`--incremental`).
    pub incremental: bool,
    /// Profiles in the previous run.
    pub profiles_before: u64,
    /// Profiles now.
    pub profiles_after: u64,
    /// Profiles none of whose records existed before.
    pub new: u64,
    /// Profiles that kept their id and gained records.
    pub grown: u64,
    /// Merges (profiles that took over several previous ids).
    pub merged: u64,
    /// Ids absorbed by those merges (now redirected).
    pub absorbed_ids: u64,
    /// Split events: records of a previous profile that now belong to another profile.
    pub split: u64,
    /// Previous profiles with no records left.
    pub retired: u64,
    /// Profiles with the same id and the same records count, nothing moved in or out.
    pub unchanged: u64,
    /// Match rate before and now, and the change in percentage points.
    pub match_rate_before: f64,
    /// Match rate now.
    pub match_rate_after: f64,
    /// `match_rate_after - match_rate_before`, in percentage points.
    pub match_rate_change_points: f64,
    /// Records in the largest profile, before.
    pub largest_profile_before: u64,
    /// Records in the largest profile, now.
    pub largest_profile_after: u64,
    /// Share of rows that joined no profile, before.
    pub reject_share_before: f64,
    /// Share of rows that joined no profile, now.
    pub reject_share_after: f64,
    /// Campaign figures measured in both runs, before and after (issue 18).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaign: Vec<super::campaign::MetricChange>,
}

impl SincePrevious {
    /// The section from the previous and current figures and this run's change events.
    pub fn new(
        run: u32,
        previous_run_at: &str,
        incremental: bool,
        before: &RunMetrics,
        after: &RunMetrics,
        carried: &Carried,
    ) -> SincePrevious {
        let count = |event| carried.changes.iter().filter(|c| c.event == event).count() as u64;
        SincePrevious {
            run,
            previous_run_at: previous_run_at.to_owned(),
            incremental,
            profiles_before: before.profiles,
            profiles_after: after.profiles,
            new: count(Event::New),
            grown: count(Event::Grown),
            merged: count(Event::Merged),
            absorbed_ids: carried.absorbed,
            split: count(Event::Split),
            retired: count(Event::Retired),
            unchanged: carried.unchanged,
            match_rate_before: round4(before.match_rate),
            match_rate_after: round4(after.match_rate),
            match_rate_change_points: round2((after.match_rate - before.match_rate) * 100.0),
            largest_profile_before: before.largest_profile,
            largest_profile_after: after.largest_profile,
            reject_share_before: round4(before.reject_share),
            reject_share_after: round4(after.reject_share),
            campaign: match (&before.campaign, &after.campaign) {
                (Some(b), Some(a)) => super::campaign::CampaignFigures::changes(b, a),
                _ => Vec::new(),
            },
        }
    }
}

fn round2(x: f64) -> f64 {
    if x.is_finite() {
        (x * 100.0).round() / 100.0
    } else {
        0.0
    }
}
