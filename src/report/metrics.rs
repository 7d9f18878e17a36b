//! Computing the report from the run's records and profiles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{SCHEMA_VERSION, round4, share};
use crate::extract::Extracted;
use crate::normalize::Kind;
use crate::output::escape::CsvEscape;
use crate::profile::Profiles;

/// The whole report (report.json).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Layout version.
    pub schema_version: u32,
    /// omni's version.
    pub omni_version: String,
    /// How the CSV tables beside this report escape formula cells (`output::escape`); absent in
    /// reports from before the escape, whose tables hold values as they are.
    #[serde(default = "CsvEscape::unrecorded")]
    pub csv_escape: CsvEscape,
    /// Run-wide totals.
    pub totals: Totals,
    /// Match rate overall and per source.
    pub match_rate: MatchRate,
    /// Per source: accounting, identifier quality, dedup.
    pub sources: Vec<SourceReport>,
    /// Source × source overlap.
    pub overlap: Overlap,
    /// Records per profile.
    pub dedup: Dedup,
    /// Number of profiles by the number of sources they appear in (`"1"`, `"2"`, ...).
    pub channels_per_customer: BTreeMap<String, u64>,
    /// Cluster sizes.
    pub cluster_sizes: ClusterSizes,
    /// Reachability by email and phone.
    pub reachability: Reachability,
    /// What the over-merge guards did.
    pub guards: super::guards::GuardsReport,
    /// Omnichannel metrics from amounts and timestamps (a note instead when there are none).
    pub transactions: super::transactions::Transactions,
    /// Campaign metrics: LTV, retention, ROPO, cross-channel, multi-channel use (issue 18);
    /// filled by `merge` from `campaign::compute`, empty in reports of older runs.
    #[serde(default)]
    pub campaign: super::campaign::Campaign,
    /// With `--state`: the change since the previous run (absent on a first or stateless run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_previous: Option<super::changes::SincePrevious>,
    /// With `--match probabilistic`: the learned model and what the second pass linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilistic: Option<crate::fuzzy::Summary>,
}

/// Run-wide counts. `rows_read = records_in_profiles + rows_unidentified + rows_unreadable`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Totals {
    /// Input files.
    pub sources: u64,
    /// Data rows read, readable or not.
    pub rows_read: u64,
    /// Rows that belong to a profile.
    pub records_in_profiles: u64,
    /// Rows read but without any usable identifier.
    pub rows_unidentified: u64,
    /// Rows that could not be read.
    pub rows_unreadable: u64,
    /// Golden profiles.
    pub profiles: u64,
    /// Rejected identifier values (junk included).
    pub values_rejected: u64,
    /// Distinct identifiers.
    pub distinct_identifiers: u64,
}

impl Totals {
    /// The share of rows read that joined no profile (no identifier, or unreadable); 0 when
    /// nothing was read. Unrounded: `--fail-on rejects=` and the state compare it as it is.
    pub fn reject_share(&self) -> f64 {
        if self.rows_read == 0 {
            0.0
        } else {
            (self.rows_unidentified + self.rows_unreadable) as f64 / self.rows_read as f64
        }
    }
}

/// Match rate: share of profiles present in two or more sources.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatchRate {
    /// Profiles in 2+ sources / profiles.
    pub overall: f64,
    /// Profiles in 2+ sources.
    pub profiles_in_several_sources: u64,
    /// Per source: share of its profiled records whose profile also appears in another source.
    pub per_source: BTreeMap<String, f64>,
}

/// One source's accounting and quality.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SourceReport {
    /// Source name.
    pub name: String,
    /// Path as given.
    pub path: String,
    /// `csv`, `csv.gz`, `parquet`.
    pub format: String,
    /// Encoding used (CSV).
    pub encoding: String,
    /// Delimiter used (CSV).
    pub delimiter: String,
    /// Default phone region for numbers without `+` (empty when none).
    pub phone_region: String,
    /// Where that region came from (`--country`, `config`, `inferred: ...`).
    pub phone_region_from: String,
    /// Rows read.
    pub rows_read: u64,
    /// Rows in profiles.
    pub records_in_profiles: u64,
    /// Rows without a usable identifier.
    pub rows_unidentified: u64,
    /// Rows that could not be read.
    pub rows_unreadable: u64,
    /// Profiles this source's records belong to.
    pub profiles: u64,
    /// Records whose profile also appears in another source.
    pub records_matched: u64,
    /// `records_matched / records_in_profiles`.
    pub match_rate: f64,
    /// Records that share a profile with an earlier record of the same source:
    /// `records_in_profiles - profiles`.
    pub duplicates_within: u64,
    /// Columns with their roles and quality.
    pub columns: Vec<ColumnQuality>,
    /// Set when no column of the source links records (no email, phone, card or id column):
    /// its rows are all `no_identifier`, and this says how to map a column (issue 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_identifier: Option<String>,
}

/// Identifier quality of one column.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ColumnQuality {
    /// Header name.
    pub name: String,
    /// Role (`email`, `phone`, `first_name`, ...).
    pub role: String,
    /// Why that role.
    pub detected_by: String,
    /// Non-empty values / rows read (identifier columns).
    pub fill_rate: f64,
    /// Valid values / non-empty values (identifier columns).
    pub valid_rate: f64,
    /// Non-empty values.
    pub filled: u64,
    /// Valid values.
    pub valid: u64,
    /// Rejected values by reason code.
    pub rejected: BTreeMap<String, u64>,
    /// Valid values whose link a guard refused, by rule code (`generic`, `cap`,
    /// `name_mismatch`); see `report::blocked`.
    pub blocked: BTreeMap<String, u64>,
    /// Of the valid values of a phone column, local numbers without an area code, linked only
    /// with the same local number (`id:local_phone`); absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub local_numbers: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Profiles in both sources, for each pair. Over more than [`OVERLAP_SOURCES`] sources, the
/// largest ones (by rows read) keep their own row and column and the rest are summed into one
/// last row and column named `other N sources` (listed in `other_sources`), so the matrix, and
/// report.html and report.json with it, stays readable and linear in the number of files
/// (issue 16: 600 files of 3 rows made a 120 MB report.html).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Overlap {
    /// Source names (or the `other N sources` group, last), in matrix order.
    pub sources: Vec<String>,
    /// The sources summed into the last row and column, when there are too many for one each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_sources: Vec<String>,
    /// `profiles[i][j]`: profiles with records in source i and source j (diagonal: profiles in i;
    /// for the group, profiles with a record in any of its sources).
    pub profiles: Vec<Vec<u64>>,
    /// `share[i][j]`: `profiles[i][j] / profiles[i][i]` (the share of i's profiles also in j).
    pub share: Vec<Vec<f64>>,
}

/// Records per profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dedup {
    /// records_in_profiles / profiles.
    pub records_per_profile: f64,
    /// Records merged away: records_in_profiles - profiles.
    pub records_merged: u64,
    /// Duplicates found inside one source, summed over sources.
    pub duplicates_within_sources: u64,
}

/// Cluster size histogram and the largest profiles.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterSizes {
    /// Buckets `1`, `2`, `3`, `4`, `5-10`, `11-20`, `21+` → profile count.
    pub histogram: Vec<Bucket>,
    /// The largest profiles (up to 10), by record count, then id.
    pub largest: Vec<LargeProfile>,
}

/// One histogram bucket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bucket {
    /// Label.
    pub size: String,
    /// Profiles.
    pub profiles: u64,
}

/// One of the largest profiles.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LargeProfile {
    /// Profile id.
    pub profile_id: String,
    /// Records.
    pub records: u64,
    /// Sources it appears in.
    pub sources: Vec<String>,
    /// Distinct emails, phones, cards.
    pub emails: u64,
    /// Distinct phones.
    pub phones: u64,
    /// Distinct cards.
    pub cards: u64,
}

/// Who can be reached through which channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reachability {
    /// Profiles with at least one email.
    pub email: u64,
    /// Profiles with at least one phone.
    pub phone: u64,
    /// With both.
    pub both: u64,
    /// With neither (card or id only).
    pub neither: u64,
    /// Profiles having a channel (email or phone) that at least one of their records did not
    /// carry itself: contacts gained through unification.
    pub gained_a_channel: u64,
}

/// Computes the report.
pub fn compute(
    extracted: &Extracted,
    clusters: &crate::graph::Clusters,
    profiles: &Profiles,
    guards: &crate::graph::guards::GuardSettings,
) -> Report {
    let names: Vec<String> = extracted.sources.iter().map(|s| s.name.clone()).collect();
    let rows_read: Vec<u64> = extracted.sources.iter().map(|s| s.rows_read).collect();
    let groups = OverlapGroups::new(&rows_read, OVERLAP_SOURCES);
    let walks = Walks::compute(extracted, clusters, profiles, guards, &groups, &names);
    let profile_count = profiles.len() as u64;
    let sources: Vec<SourceReport> = extracted
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| source_report(i, s, &walks))
        .collect();
    let records_in_profiles: u64 = walks.in_profiles.iter().sum();
    Report {
        schema_version: SCHEMA_VERSION,
        omni_version: env!("CARGO_PKG_VERSION").to_owned(),
        // The default mode; `merge` sets the run's.
        csv_escape: CsvEscape::default(),
        totals: totals(extracted, records_in_profiles, profile_count),
        match_rate: MatchRate {
            overall: share(walks.several, profile_count),
            profiles_in_several_sources: walks.several,
            per_source: names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), share(walks.matched[i], walks.in_profiles[i])))
                .collect(),
        },
        overlap: groups.overlap(&names, walks.overlap),
        dedup: Dedup {
            records_per_profile: if profile_count == 0 {
                0.0
            } else {
                round4(records_in_profiles as f64 / profile_count as f64)
            },
            records_merged: records_in_profiles - profile_count,
            duplicates_within_sources: sources.iter().map(|s| s.duplicates_within).sum(),
        },
        channels_per_customer: walks
            .channels
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        cluster_sizes: walks.cluster_sizes,
        reachability: walks.reachability,
        guards: walks.guards,
        transactions: walks.transactions,
        sources,
        campaign: super::campaign::Campaign::default(),
        since_previous: None,
        probabilistic: None,
    }
}

/// The report's figures that each walk every profile or record once.
struct Walks {
    /// Per source: records in profiles.
    in_profiles: Vec<u64>,
    /// Per source: records in a profile spanning several sources.
    matched: Vec<u64>,
    /// Profiles spanning several sources.
    several: u64,
    /// Profiles per pair of overlap matrix rows.
    overlap: Vec<Vec<u64>>,
    /// Per source: profiles with a record in it.
    per_source: Vec<u64>,
    /// Profiles by their number of sources.
    channels: BTreeMap<usize, u64>,
    /// Per source and column: valid values whose link a guard refused, by rule.
    blocked: Vec<Vec<BTreeMap<String, u64>>>,
    cluster_sizes: ClusterSizes,
    reachability: Reachability,
    guards: super::guards::GuardsReport,
    transactions: super::transactions::Transactions,
}

impl Walks {
    /// The sections are independent and each walks every profile or record once: they run
    /// side by side on the pool's threads, each one as it ran alone, so every figure (floats
    /// summed in the same order included) is what one thread computes.
    fn compute(
        extracted: &Extracted,
        clusters: &crate::graph::Clusters,
        profiles: &Profiles,
        guards: &crate::graph::guards::GuardSettings,
        groups: &OverlapGroups,
        names: &[String],
    ) -> Walks {
        let records = &extracted.records;
        let source_count = extracted.sources.len();
        let (
            ((in_profiles, matched, several), (overlap, per_source, channels)),
            ((blocked, cluster_sizes), ((reachability, guards_report), transactions)),
        ) = rayon::join(
            || {
                rayon::join(
                    || matched_per_source(records, profiles, source_count),
                    || overlap_and_channels(profiles, groups),
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || super::blocked::by_column(extracted, clusters),
                            || cluster_sizes(extracted, profiles, names),
                        )
                    },
                    || {
                        rayon::join(
                            || {
                                rayon::join(
                                    || reachability(extracted, profiles),
                                    || {
                                        super::guards::compute(
                                            extracted, clusters, profiles, guards,
                                        )
                                    },
                                )
                            },
                            || super::transactions::compute(extracted, profiles),
                        )
                    },
                )
            },
        );
        Walks {
            in_profiles,
            matched,
            several,
            overlap,
            per_source,
            channels,
            blocked,
            cluster_sizes,
            reachability,
            guards: guards_report,
            transactions,
        }
    }
}

/// Source `i`'s accounting, quality and dedup.
fn source_report(i: usize, s: &crate::extract::Source, walks: &Walks) -> SourceReport {
    let (in_profiles, matched) = (walks.in_profiles[i], walks.matched[i]);
    SourceReport {
        name: s.name.clone(),
        path: s.path.display().to_string(),
        format: s.format.container.clone(),
        encoding: s.format.encoding.clone(),
        delimiter: s
            .format
            .delimiter
            .map(display_delimiter)
            .unwrap_or_default(),
        phone_region: s.region.code.clone().unwrap_or_default(),
        phone_region_from: s.region.from.clone(),
        rows_read: s.rows_read,
        records_in_profiles: in_profiles,
        rows_unidentified: s.rows_unidentified,
        rows_unreadable: s.rows_unreadable,
        profiles: walks.per_source[i],
        records_matched: matched,
        match_rate: share(matched, in_profiles),
        duplicates_within: in_profiles - walks.per_source[i],
        columns: s
            .columns
            .iter()
            .zip(&walks.blocked[i])
            .map(|(c, blocked)| column_quality(s, c, blocked))
            .collect(),
        no_identifier: s.no_identifier_hint(None),
    }
}

/// The quality of column `c` of source `s`.
fn column_quality(
    s: &crate::extract::Source,
    c: &crate::extract::ColumnReport,
    blocked: &BTreeMap<String, u64>,
) -> ColumnQuality {
    ColumnQuality {
        name: c.name.clone(),
        role: c.role.as_config(),
        detected_by: c.why.clone(),
        fill_rate: share(c.filled, s.rows_read - s.rows_unreadable),
        valid_rate: share(c.valid, c.filled),
        filled: c.filled,
        valid: c.valid,
        rejected: c
            .rejected
            .iter()
            .map(|(r, n)| (r.code().to_owned(), *n))
            .collect(),
        blocked: blocked.clone(),
        local_numbers: c.local,
    }
}

/// Run-wide counts.
fn totals(extracted: &Extracted, records_in_profiles: u64, profiles: u64) -> Totals {
    let values_rejected = extracted
        .rejects
        .iter()
        .filter(|r| r.reason.is_identifier_value())
        .count() as u64;
    Totals {
        sources: extracted.sources.len() as u64,
        rows_read: extracted.sources.iter().map(|s| s.rows_read).sum(),
        records_in_profiles,
        rows_unidentified: extracted.sources.iter().map(|s| s.rows_unidentified).sum(),
        rows_unreadable: extracted.sources.iter().map(|s| s.rows_unreadable).sum(),
        profiles,
        values_rejected,
        distinct_identifiers: extracted.interner.len() as u64
            - report_probabilistic_links(extracted),
    }
}

/// Records in profiles per source, those of them in a profile spanning several sources, and
/// the number of such profiles.
fn matched_per_source(
    records: &crate::extract::Records,
    profiles: &Profiles,
    source_count: usize,
) -> (Vec<u64>, Vec<u64>, u64) {
    let multi: Vec<bool> = profiles.iter().map(|p| p.sources.len() > 1).collect();
    let mut in_profiles = vec![0u64; source_count];
    let mut matched = vec![0u64; source_count];
    for (record, &profile) in profiles.of_record.iter().enumerate() {
        if profile == crate::graph::NONE {
            continue;
        }
        let source = records.source[record] as usize;
        in_profiles[source] += 1;
        if multi[profile as usize] {
            matched[source] += 1;
        }
    }
    let several = multi.iter().filter(|&&m| m).count() as u64;
    (in_profiles, matched, several)
}

/// Sources with a row and column of their own in the overlap matrix, at most.
pub const OVERLAP_SOURCES: usize = 20;

/// Which row and column of the overlap matrix each source counts in (see [`Overlap`]).
struct OverlapGroups {
    /// Matrix index of each source.
    of_source: Vec<usize>,
    /// Sources with their own row, in source order.
    own: Vec<usize>,
    /// Sources summed into the last row (empty when every source has its own).
    others: Vec<usize>,
}

impl OverlapGroups {
    /// Every source its own row when there are at most `limit`; otherwise the `limit - 1`
    /// largest by rows read (ties: the earlier source) and one group for the rest.
    fn new(rows_read: &[u64], limit: usize) -> OverlapGroups {
        let n = rows_read.len();
        if n <= limit {
            return OverlapGroups {
                of_source: (0..n).collect(),
                own: (0..n).collect(),
                others: Vec::new(),
            };
        }
        let mut by_size: Vec<usize> = (0..n).collect();
        by_size.sort_by_key(|&i| (std::cmp::Reverse(rows_read[i]), i));
        let mut own: Vec<usize> = by_size[..limit - 1].to_vec();
        own.sort_unstable();
        let mut of_source = vec![own.len(); n];
        for (row, &source) in own.iter().enumerate() {
            of_source[source] = row;
        }
        let others = (0..n).filter(|&i| of_source[i] == own.len()).collect();
        OverlapGroups {
            of_source,
            own,
            others,
        }
    }

    /// Rows (and columns) of the matrix.
    fn len(&self) -> usize {
        self.own.len() + usize::from(!self.others.is_empty())
    }

    /// The report section from the counted matrix.
    fn overlap(&self, names: &[String], profiles: Vec<Vec<u64>>) -> Overlap {
        let mut sources: Vec<String> = self.own.iter().map(|&i| names[i].clone()).collect();
        if !self.others.is_empty() {
            sources.push(format!("other {} sources", self.others.len()));
        }
        let share = (0..self.len())
            .map(|i| {
                (0..self.len())
                    .map(|j| share(profiles[i][j], profiles[i][i]))
                    .collect()
            })
            .collect();
        Overlap {
            sources,
            other_sources: self.others.iter().map(|&i| names[i].clone()).collect(),
            profiles,
            share,
        }
    }
}

/// Profiles per pair of matrix rows (`[a][a]`: profiles with a record counted in `a`), profiles
/// per source, and profiles by their number of sources. Each profile's sources are mapped to
/// their rows first, so a profile in many sources costs their number, not its square.
fn overlap_and_channels(
    profiles: &Profiles,
    groups: &OverlapGroups,
) -> (Vec<Vec<u64>>, Vec<u64>, BTreeMap<usize, u64>) {
    let rows = groups.len();
    let mut overlap = vec![vec![0u64; rows]; rows];
    let mut per_source = vec![0u64; groups.of_source.len()];
    let mut channels: BTreeMap<usize, u64> = BTreeMap::new();
    let mut in_row = vec![false; rows];
    let mut hit: Vec<usize> = Vec::with_capacity(rows);
    for profile in profiles.iter() {
        *channels.entry(profile.sources.len()).or_default() += 1;
        hit.clear();
        for &source in profile.sources {
            per_source[source as usize] += 1;
            let row = groups.of_source[source as usize];
            if !in_row[row] {
                in_row[row] = true;
                hit.push(row);
            }
        }
        for &a in &hit {
            for &b in &hit {
                overlap[a][b] += 1;
            }
        }
        for &row in &hit {
            in_row[row] = false;
        }
    }
    (overlap, per_source, channels)
}

fn display_delimiter(d: u8) -> String {
    match d {
        b'\t' => "tab".to_owned(),
        _ => (d as char).to_string(),
    }
}

const BUCKETS: [(&str, usize, usize); 7] = [
    ("1", 1, 1),
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5-10", 5, 10),
    ("11-20", 11, 20),
    ("21+", 21, usize::MAX),
];

fn cluster_sizes(extracted: &Extracted, profiles: &Profiles, names: &[String]) -> ClusterSizes {
    let largest = largest_profiles(profiles)
        .into_iter()
        .map(|p| large_profile(extracted, profiles.get(p as usize), names))
        .collect();
    ClusterSizes {
        histogram: histogram(profiles),
        largest,
    }
}

/// Profiles by record count, in [`BUCKETS`].
fn histogram(profiles: &Profiles) -> Vec<Bucket> {
    let mut histogram: Vec<Bucket> = BUCKETS
        .iter()
        .map(|(label, _, _)| Bucket {
            size: (*label).to_owned(),
            profiles: 0,
        })
        .collect();
    for p in 0..profiles.len() {
        let size = profiles.record_count(p);
        let bucket = BUCKETS
            .iter()
            .position(|&(_, lo, hi)| size >= lo && size <= hi)
            .expect("buckets cover every size >= 1");
        histogram[bucket].profiles += 1;
    }
    histogram
}

/// The indices of the ten largest profiles, by record count, then id.
fn largest_profiles(profiles: &Profiles) -> Vec<u32> {
    // Profile indices, not views: a view is about 100 bytes, an index 4.
    let mut by_size: Vec<u32> = (0..profiles.len() as u32).collect();
    // Compared by record count and id alone (a whole view per comparison made this selection
    // a quarter of the report's time).
    let larger_first = |&a: &u32, &b: &u32| {
        let (a, b) = (a as usize, b as usize);
        profiles
            .record_count(b)
            .cmp(&profiles.record_count(a))
            .then_with(|| profiles.id(a).cmp(&profiles.id(b)))
    };
    // Only the ten largest are listed: select them, then sort those (ids are unique, so the
    // order is total and the result is the one a full sort gives).
    if by_size.len() > 10 {
        by_size.select_nth_unstable_by(9, larger_first);
        by_size.truncate(10);
    }
    by_size.sort_by(larger_first);
    by_size
}

/// One of the largest profiles, with its distinct emails, phones and cards counted.
fn large_profile(
    extracted: &Extracted,
    p: crate::profile::Profile<'_>,
    names: &[String],
) -> LargeProfile {
    let count = |kind: Kind| {
        p.identifiers
            .iter()
            .filter(|&&i| {
                extracted.namespaces[extracted.interner.namespace_of(i) as usize] == kind.as_str()
            })
            .count() as u64
    };
    LargeProfile {
        profile_id: p.id.to_string(),
        records: p.records.len() as u64,
        sources: p
            .sources
            .iter()
            .map(|&s| names[s as usize].clone())
            .collect(),
        emails: count(Kind::Email),
        phones: count(Kind::Phone),
        cards: count(Kind::Card),
    }
}

fn reachability(extracted: &Extracted, profiles: &Profiles) -> Reachability {
    let namespace_of = |ident: u32| extracted.interner.namespace_of(ident);
    let records = &extracted.records;
    let has = |idents: &[u32], ns: u16| idents.iter().any(|&i| namespace_of(i) == ns);
    let (email_ns, phone_ns) = (0u16, 1u16);
    let mut reach = Reachability {
        email: 0,
        phone: 0,
        both: 0,
        neither: 0,
        gained_a_channel: 0,
    };
    // Per profile, the channels it has (bit 0 email, bit 1 phone); then one walk over the
    // records in run order (sequential, where a walk profile by profile jumps all over the
    // record columns) marks the profiles one of whose records lacks a channel the profile has.
    let channels_of =
        |idents: &[u32]| u8::from(has(idents, email_ns)) | (u8::from(has(idents, phone_ns)) << 1);
    let mut channels: Vec<u8> = profiles
        .iter()
        .map(|profile| channels_of(profile.identifiers))
        .collect();
    for &c in &channels {
        let (email, phone) = (c & 1 != 0, c & 2 != 0);
        reach.email += u64::from(email);
        reach.phone += u64::from(phone);
        reach.both += u64::from(email && phone);
        reach.neither += u64::from(!email && !phone);
    }
    const GAINED: u8 = 4;
    for (record, &profile) in profiles.of_record.iter().enumerate() {
        if profile == crate::graph::NONE {
            continue;
        }
        let c = &mut channels[profile as usize];
        if *c & 3 == 0 || *c & GAINED != 0 {
            continue;
        }
        if *c & !channels_of(records.identifiers_of(record as u32)) & 3 != 0 {
            *c |= GAINED;
        }
    }
    reach.gained_a_channel = channels.iter().filter(|&&c| c & GAINED != 0).count() as u64;
    reach
}

/// Identifiers that stand for probabilistic links (issue 20): not customer values.
fn report_probabilistic_links(extracted: &Extracted) -> u64 {
    let Some(ns) = extracted
        .namespaces
        .iter()
        .position(|n| n == crate::fuzzy::NAMESPACE)
    else {
        return 0;
    };
    (0..extracted.interner.len() as u32)
        .filter(|&x| extracted.interner.namespace_of(x) as usize == ns)
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    // See: #16 (the overlap matrix grew with the square of the number of files).
    #[test]
    fn issue_16_overlap_groups_keep_the_largest_sources_and_sum_the_rest() {
        let rows = [5, 50, 1, 40, 2, 30];
        let groups = OverlapGroups::new(&rows, 3);
        assert_eq!(groups.own, [1, 3], "the two largest, in source order");
        assert_eq!(groups.others, [0, 2, 4, 5]);
        assert_eq!(groups.of_source, [2, 0, 2, 1, 2, 2]);
        let names: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
        let overlap = groups.overlap(&names, vec![vec![4, 2, 2], vec![2, 2, 0], vec![2, 0, 3]]);
        assert_eq!(overlap.sources, ["s1", "s3", "other 4 sources"]);
        assert_eq!(overlap.other_sources, ["s0", "s2", "s4", "s5"]);
        assert_eq!(overlap.share[0], [1.0, 0.5, 0.5]);
        let few = OverlapGroups::new(&rows, 6);
        assert_eq!(
            (few.len(), few.others.len()),
            (6, 0),
            "no group when all fit"
        );
    }

    #[test]
    fn buckets_cover_all_sizes() {
        for size in 1..100 {
            assert_eq!(
                BUCKETS
                    .iter()
                    .filter(|&&(_, lo, hi)| size >= lo && size <= hi)
                    .count(),
                1
            );
        }
    }

    /// Reachability as it was computed before the walk in run order: profile by profile, each
    /// record's own identifiers looked up.
    #[test]
    fn reachability_equals_the_profile_by_profile_count() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, _, profiles) = crate::profile::testing::pipeline(dir.path(), 3000);
        let ns = |i: u32| extracted.interner.namespace_of(i);
        let has = |idents: &[u32], n: u16| idents.iter().any(|&i| ns(i) == n);
        let (mut email, mut phone, mut both, mut neither, mut gained) = (0, 0, 0, 0, 0);
        for profile in profiles.iter() {
            let (e, p) = (has(profile.identifiers, 0), has(profile.identifiers, 1));
            email += u64::from(e);
            phone += u64::from(p);
            both += u64::from(e && p);
            neither += u64::from(!e && !p);
            gained += u64::from(profile.records.iter().any(|&r| {
                let own = extracted.records.identifiers_of(r);
                (e && !has(own, 0)) || (p && !has(own, 1))
            }));
        }
        let reach = reachability(&extracted, &profiles);
        assert_eq!(
            (
                reach.email,
                reach.phone,
                reach.both,
                reach.neither,
                reach.gained_a_channel
            ),
            (email, phone, both, neither, gained)
        );
        assert!(gained > 0 && gained < profiles.len() as u64, "{gained}");
    }

    /// The sections computed side by side give, byte for byte, the report one thread gives.
    #[test]
    fn the_report_is_the_same_on_one_thread_and_on_four() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, clusters, profiles) = crate::profile::testing::pipeline(dir.path(), 3000);
        let settings = crate::graph::guards::GuardSettings::default();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let report = pool.install(|| compute(&extracted, &clusters, &profiles, &settings));
            serde_json::to_string(&report).unwrap()
        };
        let one = on(1);
        assert_eq!(on(4), one);
        assert!(one.contains("\"revenue\""), "the data has transactions");
    }

    /// The ten largest profiles, selected by record count and id, are the first ten of all the
    /// profiles sorted by size (largest first), then id.
    #[test]
    fn largest_profiles_are_those_of_a_full_sort() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, _, profiles) = crate::profile::testing::pipeline(dir.path(), 3000);
        let names: Vec<String> = extracted.sources.iter().map(|s| s.name.clone()).collect();
        let mut all: Vec<(usize, String)> = profiles
            .iter()
            .map(|p| (p.records.len(), p.id.to_string()))
            .collect();
        all.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(10);
        let largest: Vec<(usize, String)> = cluster_sizes(&extracted, &profiles, &names)
            .largest
            .into_iter()
            .map(|p| (p.records as usize, p.profile_id))
            .collect();
        assert_eq!(largest, all);
        assert!(all[0].0 > all[9].0, "{all:?}");
    }

    #[test]
    fn shares_are_rounded_and_safe() {
        assert_eq!(share(1, 3), 0.3333);
        assert_eq!(share(1, 0), 0.0);
    }
}
