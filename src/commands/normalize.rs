//! `omni normalize`: shows what the normalizers make of a few values, one line per value.
//!
//! Output (stdout, stable, snapshot-tested): `raw<TAB>canonical`, `raw<TAB>rejected: <code>
//! (<explanation>)`, or `raw<TAB>(empty)` for a value that is blank after trimming. Tabs and
//! line breaks inside `raw` are shown escaped so that each value stays on one line. The same
//! facade as `merge` is used ([`Normalizers::normalize`]), so placeholders and blocklisted values
//! are rejected here exactly as they would be in a run.
//!
//! A rejected value is a result, not a failure: the command exits 0 whenever it could print.
//! It fails (exit 1) only on a bad config file or `--country`.

use anyhow::Context;

use crate::cli::{NormalizeArgs, NormalizeKind};
use crate::config::{Settings, validate_country};
use crate::exit::ExitStatus;
use crate::normalize::{Kind, Normalizers};
use crate::reject::RejectReason;
use crate::ui::Ui;

/// Runs `omni normalize`.
pub fn run(args: &NormalizeArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let mut settings = Settings::load(args.config.as_deref())?;
    if let Some(country) = &args.country {
        settings.country = Some(validate_country(country).context("--country")?);
    }
    let normalizers = Normalizers::new(&settings)?;
    let kind = kind_of(args.kind);
    let mut text = String::new();
    for raw in &args.values {
        text.push_str(&line_for(&normalizers, kind, raw));
        text.push('\n');
    }
    ui.data(&text)?;
    Ok(ExitStatus::Success)
}

fn kind_of(kind: NormalizeKind) -> Kind {
    match kind {
        NormalizeKind::Email => Kind::Email,
        NormalizeKind::Phone => Kind::Phone,
        NormalizeKind::Card => Kind::Card,
        NormalizeKind::Id => Kind::Id,
    }
}

/// The line for one value: as `merge` reads it, a rejected phone that is a local number
/// included (issue 15: `285-9902\tlocal_phone:2859902 (...)`).
fn line_for(normalizers: &Normalizers, kind: Kind, raw: &str) -> String {
    let result = normalizers.normalize(kind, raw, None);
    let rejected = matches!(&result, Some(Err(reason)) if *reason != RejectReason::JunkValue);
    let local = (kind == Kind::Phone && rejected)
        .then(|| crate::normalize::phone::local_number(raw))
        .flatten();
    match local {
        Some(local) => format!(
            "{}\tlocal_phone:{local} (a local number without area code: links only with the same \
             local number)",
            escape(raw)
        ),
        None => render_line(raw, result),
    }
}

/// The raw value with backslashes, tabs and line breaks escaped, so one value is one line.
fn escape(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// One output line, without the newline.
fn render_line(raw: &str, result: Option<Result<String, RejectReason>>) -> String {
    let raw = escape(raw);
    match result {
        None => format!("{raw}\t(empty)"),
        Some(Ok(canonical)) => format!("{raw}\t{canonical}"),
        Some(Err(reason)) => format!("{raw}\trejected: {} ({})", reason.code(), explain(reason)),
    }
}

/// A short, stable explanation of a value-level reject for people reading the table.
fn explain(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::EmailInvalid => "not an email address",
        RejectReason::EmailBadDomain => "the domain is not a valid domain name",
        RejectReason::PhoneUnparseable => "no phone number found; a region may be missing",
        RejectReason::PhoneInvalid => "not a valid number for its country",
        RejectReason::CardInvalid => "not 4-32 letters and digits with at least one digit",
        RejectReason::IdInvalid => "control characters or longer than 256 characters",
        RejectReason::JunkValue => "placeholder or blocklisted value",
        RejectReason::AmountInvalid => "not an amount",
        RejectReason::DateInvalid => "not a possible date",
        RejectReason::RaggedRow
        | RejectReason::UnreadableRow
        | RejectReason::NoIdentifier
        | RejectReason::FieldTooLong => "row-level reason",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::card::CardRules;
    use crate::normalize::email::EmailRules;

    fn lines(kind: Kind, country: Option<&str>, values: &[&str]) -> Vec<String> {
        let settings = Settings {
            country: country.map(str::to_owned),
            email: EmailRules::default(),
            card: CardRules::default(),
            ..Settings::default()
        };
        let normalizers = Normalizers::new(&settings).expect("valid settings");
        values
            .iter()
            .map(|raw| line_for(&normalizers, kind, raw))
            .collect()
    }

    #[test]
    fn phone_table_shows_canonical_values_and_rejects() {
        let got = lines(
            Kind::Phone,
            Some("RU"),
            &["8 916 123-45-67", "n/a", "  ", "12"],
        );
        assert_eq!(
            got,
            [
                "8 916 123-45-67\t+79161234567",
                "n/a\trejected: junk_value (placeholder or blocklisted value)",
                "  \t(empty)",
                "12\trejected: phone_invalid (not a valid number for its country)",
            ]
        );
    }

    // See: #15
    #[test]
    fn issue_15_local_numbers_are_shown_as_merge_links_them() {
        let got = lines(Kind::Phone, Some("US"), &["285-9902", "1234567"]);
        assert_eq!(
            got,
            [
                "285-9902\tlocal_phone:2859902 (a local number without area code: links only \
                 with the same local number)",
                "1234567\trejected: phone_invalid (not a valid number for its country)",
            ]
        );
    }

    #[test]
    fn email_table_and_escaped_raw_values() {
        let got = lines(Kind::Email, None, &["John.Smith+x@Gmail.com", "a\tb"]);
        assert_eq!(
            got,
            [
                "John.Smith+x@Gmail.com\tjohnsmith@gmail.com",
                "a\\tb\trejected: email_invalid (not an email address)"
            ]
        );
    }

    #[test]
    fn every_value_level_reason_has_an_explanation() {
        for reason in RejectReason::ALL.into_iter().filter(|r| !r.is_row_level()) {
            assert_ne!(explain(reason), "row-level reason", "{reason}");
        }
    }
}
