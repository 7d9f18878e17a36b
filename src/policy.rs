//! `--fail-on` conditions: checked after a run has written all its outputs; any that holds
//! makes `omni merge` exit with code 3, so a cron job can alert while the outputs stay usable.

use crate::report::Report;
use crate::report::changes::SincePrevious;

/// One `--fail-on` condition.
#[derive(Clone, Debug, PartialEq)]
pub enum FailOn {
    /// `max-profile-size=N`: the largest profile has more than N records.
    MaxProfileSize(u64),
    /// `rejects=P%`: more than this share of rows joined no profile (no usable identifier, or
    /// unreadable).
    Rejects(f64),
    /// `alarms=N`: more than N profiles above the alarm size.
    Alarms(u64),
    /// `generic=N`: more than N generic identifiers.
    Generic(u64),
    /// `match-rate-below=P%`: the match rate is below this share.
    MatchRateBelow(f64),
    /// `match-rate-drop=P%`: with `--state`, the match rate fell by more than this many
    /// percentage points since the previous run (`2%` = 2 points).
    MatchRateDrop(f64),
    /// `largest-profile-growth=P%`: with `--state`, the largest profile grew by more than this
    /// share since the previous run (`50%` = 1.5 times as many records).
    LargestProfileGrowth(f64),
    /// `reject-share-jump=P%`: with `--state`, the share of rows that joined no profile rose by
    /// more than this many percentage points since the previous run.
    RejectShareJump(f64),
    /// `retention-below=P%` (issue 18): the share of buyers active in a period who bought
    /// again in the next one is below this share; holds too when retention cannot be measured
    /// (no dated purchases), so a nightly job notices exports that lost their dates.
    RetentionBelow(f64),
    /// `ropo-below=P%` (issue 18): the share of offline buyers with an online contact first is
    /// below this share; holds too when ROPO cannot be measured.
    RopoBelow(f64),
    /// `ltv-drop=P%` (issue 18): with `--state`, the mean LTV per buyer fell by more than this
    /// share of its previous value since the previous run (`10%` = to below 0.9 times).
    LtvDrop(f64),
}

impl FailOn {
    /// Parses `name=value`; shares as `5%` or `0.05`.
    pub fn parse(text: &str) -> Result<FailOn, String> {
        let (name, value) = text.split_once('=').ok_or_else(|| {
            format!("invalid --fail-on '{text}': expected NAME=VALUE, e.g. max-profile-size=500")
        })?;
        let count = || {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("invalid --fail-on '{text}': '{value}' is not a whole number"))
        };
        let share = || parse_share(value).map_err(|e| format!("invalid --fail-on '{text}': {e}"));
        match name.trim() {
            "max-profile-size" => count().map(FailOn::MaxProfileSize),
            "rejects" => share().map(FailOn::Rejects),
            "alarms" => count().map(FailOn::Alarms),
            "generic" => count().map(FailOn::Generic),
            "match-rate-below" => share().map(FailOn::MatchRateBelow),
            "match-rate-drop" => share().map(FailOn::MatchRateDrop),
            "largest-profile-growth" => parse_growth(value)
                .map(FailOn::LargestProfileGrowth)
                .map_err(|e| format!("invalid --fail-on '{text}': {e}")),
            "reject-share-jump" => share().map(FailOn::RejectShareJump),
            "retention-below" => share().map(FailOn::RetentionBelow),
            "ropo-below" => share().map(FailOn::RopoBelow),
            "ltv-drop" => share().map(FailOn::LtvDrop),
            other => Err(format!(
                "invalid --fail-on '{text}': unknown condition '{other}' (max-profile-size, rejects, alarms, generic, match-rate-below, match-rate-drop, largest-profile-growth, reject-share-jump, retention-below, ropo-below, ltv-drop)"
            )),
        }
    }

    /// The condition's name as written on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            FailOn::MaxProfileSize(_) => "max-profile-size",
            FailOn::Rejects(_) => "rejects",
            FailOn::Alarms(_) => "alarms",
            FailOn::Generic(_) => "generic",
            FailOn::MatchRateBelow(_) => "match-rate-below",
            FailOn::MatchRateDrop(_) => "match-rate-drop",
            FailOn::LargestProfileGrowth(_) => "largest-profile-growth",
            FailOn::RejectShareJump(_) => "reject-share-jump",
            FailOn::RetentionBelow(_) => "retention-below",
            FailOn::RopoBelow(_) => "ropo-below",
            FailOn::LtvDrop(_) => "ltv-drop",
        }
    }

    /// Whether the condition compares with the previous run (needs `--state`).
    pub fn is_drift(&self) -> bool {
        matches!(
            self,
            FailOn::MatchRateDrop(_)
                | FailOn::LargestProfileGrowth(_)
                | FailOn::RejectShareJump(_)
                | FailOn::LtvDrop(_)
        )
    }

    /// A message when the condition holds for `report`. Conditions relative to the previous
    /// run never hold without one (a first run, or no `--state`).
    pub fn check(&self, report: &Report) -> Option<String> {
        let since = report.since_previous.as_ref();
        match *self {
            FailOn::MatchRateDrop(limit) => since.and_then(|s| match_rate_drop(s, limit)),
            FailOn::LargestProfileGrowth(limit) => since.and_then(|s| largest_growth(s, limit)),
            FailOn::RejectShareJump(limit) => since.and_then(|s| reject_share_jump(s, limit)),
            FailOn::LtvDrop(limit) => since.and_then(|s| ltv_drop(&s.campaign, limit)),
            FailOn::MaxProfileSize(limit) => {
                let largest = report
                    .cluster_sizes
                    .largest
                    .first()
                    .map_or(0, |p| p.records);
                (largest > limit).then(|| {
                    format!("largest profile has {largest} records (max-profile-size={limit})")
                })
            }
            FailOn::Rejects(limit) => rejects(report.totals.reject_share(), limit),
            FailOn::Alarms(limit) => {
                let n = report.guards.alarms.total;
                (n > limit).then(|| format!("{n} profiles above the alarm size (alarms={limit})"))
            }
            FailOn::Generic(limit) => {
                let n = report.guards.generic_identifiers.total;
                (n > limit).then(|| format!("{n} generic identifiers (generic={limit})"))
            }
            FailOn::RetentionBelow(limit) => {
                let rate = report.campaign.retention.as_ref().map(|r| r.retention_rate);
                below("retention", "retention-below", rate, limit)
            }
            FailOn::RopoBelow(limit) => {
                let rate = report.campaign.ropo.as_ref().map(|r| r.share);
                below("ROPO share", "ropo-below", rate, limit)
            }
            FailOn::MatchRateBelow(limit) => match_rate_below(report.match_rate.overall, limit),
        }
    }
}

/// The message when the match rate fell by more than `limit` since the previous run.
fn match_rate_drop(s: &SincePrevious, limit: f64) -> Option<String> {
    let drop = s.match_rate_before - s.match_rate_after;
    (drop > limit + 1e-9).then(|| {
        format!(
            "match rate fell from {:.1}% to {:.1}% since the previous run (match-rate-drop={:.1}%)",
            s.match_rate_before * 100.0,
            s.match_rate_after * 100.0,
            limit * 100.0
        )
    })
}

/// The message when the largest profile grew by more than `limit` since the previous run.
fn largest_growth(s: &SincePrevious, limit: f64) -> Option<String> {
    let (before, after) = (s.largest_profile_before, s.largest_profile_after);
    (after as f64 > before as f64 * (1.0 + limit) + 1e-9).then(|| {
        format!(
            "largest profile grew from {before} to {after} records since the previous run (largest-profile-growth={:.0}%)",
            limit * 100.0
        )
    })
}

/// The message when the share of rows that joined no profile rose by more than `limit` since
/// the previous run.
fn reject_share_jump(s: &SincePrevious, limit: f64) -> Option<String> {
    let jump = s.reject_share_after - s.reject_share_before;
    (jump > limit + 1e-9).then(|| {
        format!(
            "share of rows that joined no profile rose from {:.1}% to {:.1}% since the previous run (reject-share-jump={:.1}%)",
            s.reject_share_before * 100.0,
            s.reject_share_after * 100.0,
            limit * 100.0
        )
    })
}

/// The message when more than `limit` of the rows read (`share` of them) joined no profile.
fn rejects(share: f64, limit: f64) -> Option<String> {
    (share > limit).then(|| {
        format!(
            "{:.1}% of rows joined no profile (rejects={:.1}%)",
            share * 100.0,
            limit * 100.0
        )
    })
}

/// The message when the match rate `rate` is below `limit`.
fn match_rate_below(rate: f64, limit: f64) -> Option<String> {
    (rate < limit).then(|| {
        format!(
            "match rate {:.1}% (match-rate-below={:.1}%)",
            rate * 100.0,
            limit * 100.0
        )
    })
}

/// The message when the mean LTV fell by more than `limit` of its previous value (measured in
/// both runs, previously above zero).
fn ltv_drop(changes: &[crate::report::campaign::MetricChange], limit: f64) -> Option<String> {
    let m = changes.iter().find(|m| m.metric == "ltv_mean")?;
    let drop = (m.before - m.after) / m.before;
    (m.before > 0.0 && drop > limit + 1e-9).then(|| {
        format!(
            "mean LTV fell from {:.2} to {:.2} ({:.1}%) since the previous run (ltv-drop={:.1}%)",
            m.before,
            m.after,
            -drop * 100.0,
            limit * 100.0
        )
    })
}

/// A campaign share below its limit, or not measurable (`None`).
fn below(what: &str, name: &str, rate: Option<f64>, limit: f64) -> Option<String> {
    match rate {
        None => Some(format!(
            "{what} cannot be measured: the exports carry no dated purchases{} ({name}={:.1}%)",
            if what == "ROPO share" {
                " in an online and an offline source"
            } else {
                ""
            },
            limit * 100.0
        )),
        Some(rate) => (rate < limit)
            .then(|| format!("{what} {:.1}% ({name}={:.1}%)", rate * 100.0, limit * 100.0)),
    }
}

fn parse_share(value: &str) -> Result<f64, String> {
    let value = value.trim();
    let (number, scale) = match value.strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (value, 1.0),
    };
    let share = number
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("'{value}' is not a share like 5% or 0.05"))?
        / scale;
    if !(0.0..=1.0).contains(&share) {
        return Err(format!(
            "share must be between 0 and 1 (0% and 100%), got '{value}'"
        ));
    }
    Ok(share)
}

/// A growth like `50%` or `0.5`; unlike a share it may exceed 100%.
fn parse_growth(value: &str) -> Result<f64, String> {
    let value = value.trim();
    let (number, scale) = match value.strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (value, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n >= 0.0 && n.is_finite() => Ok(n / scale),
        _ => Err(format!("'{value}' is not a growth like 50% or 0.5")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_with_clear_errors() {
        assert_eq!(
            FailOn::parse("max-profile-size=500"),
            Ok(FailOn::MaxProfileSize(500))
        );
        assert_eq!(FailOn::parse("rejects=5%"), Ok(FailOn::Rejects(0.05)));
        assert_eq!(FailOn::parse("rejects=0.05"), Ok(FailOn::Rejects(0.05)));
        assert_eq!(
            FailOn::parse("match-rate-below=30%"),
            Ok(FailOn::MatchRateBelow(0.3))
        );
        assert!(
            FailOn::parse("rejects=150%")
                .unwrap_err()
                .contains("between 0 and 1")
        );
        assert!(
            FailOn::parse("size=5")
                .unwrap_err()
                .contains("unknown condition")
        );
        assert!(FailOn::parse("alarms").unwrap_err().contains("NAME=VALUE"));
        assert_eq!(
            FailOn::parse("match-rate-drop=2%"),
            Ok(FailOn::MatchRateDrop(0.02))
        );
        assert_eq!(
            FailOn::parse("largest-profile-growth=150%"),
            Ok(FailOn::LargestProfileGrowth(1.5))
        );
        assert_eq!(
            FailOn::parse("reject-share-jump=0.01"),
            Ok(FailOn::RejectShareJump(0.01))
        );
        assert!(FailOn::parse("largest-profile-growth=-5%").is_err());
        assert_eq!(FailOn::parse("ltv-drop=10%"), Ok(FailOn::LtvDrop(0.1)));
        assert!(FailOn::LtvDrop(0.1).is_drift());
    }

    /// A mean LTV from 200 to 170 fell by 15%: `ltv-drop=10%` holds, `ltv-drop=15%` does not
    /// (the drop must exceed the limit); no previous figure, no drop.
    #[test]
    fn ltv_drop_compares_the_mean_ltv_with_the_previous_run() {
        use crate::report::campaign::MetricChange;
        let changes = [MetricChange {
            metric: "ltv_mean".into(),
            before: 200.0,
            after: 170.0,
            change: -30.0,
        }];
        assert_eq!(
            ltv_drop(&changes, 0.1).as_deref(),
            Some(
                "mean LTV fell from 200.00 to 170.00 (-15.0%) since the previous run \
                 (ltv-drop=10.0%)"
            )
        );
        assert_eq!(ltv_drop(&changes, 0.15), None);
        assert_eq!(ltv_drop(&changes[..0], 0.0), None);
    }
}
