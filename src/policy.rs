//! `--fail-on` conditions: checked after a run has written all its outputs; any that holds
//! makes `omni merge` exit with code 3, so a cron job can alert while the outputs stay usable.

use crate::report::Report;

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
            other => Err(format!(
                "invalid --fail-on '{text}': unknown condition '{other}' (max-profile-size, rejects, alarms, generic, match-rate-below)"
            )),
        }
    }

    /// A message when the condition holds for `report`.
    pub fn check(&self, report: &Report) -> Option<String> {
        let t = &report.totals;
        match *self {
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
            FailOn::Rejects(limit) => {
                let unused = t.rows_unidentified + t.rows_unreadable;
                let share = if t.rows_read == 0 {
                    0.0
                } else {
                    unused as f64 / t.rows_read as f64
                };
                (share > limit).then(|| {
                    format!(
                        "{:.1}% of rows joined no profile (rejects={:.1}%)",
                        share * 100.0,
                        limit * 100.0
                    )
                })
            }
            FailOn::Alarms(limit) => {
                let n = report.guards.alarms.total;
                (n > limit).then(|| format!("{n} profiles above the alarm size (alarms={limit})"))
            }
            FailOn::Generic(limit) => {
                let n = report.guards.generic_identifiers.total;
                (n > limit).then(|| format!("{n} generic identifiers (generic={limit})"))
            }
            FailOn::MatchRateBelow(limit) => {
                let rate = report.match_rate.overall;
                (rate < limit).then(|| {
                    format!(
                        "match rate {:.1}% (match-rate-below={:.1}%)",
                        rate * 100.0,
                        limit * 100.0
                    )
                })
            }
        }
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
    }
}
