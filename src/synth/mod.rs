//! Seeded synthetic customer exports with ground truth, for tests, benchmarks and the bundled
//! sample (`testdata/sample`).
//!
//! [`generate`] makes `people` synthetic customers and writes the five channel exports a real
//! retailer would hand over, each in its own shape: `web_shop.csv` (UTF-8, comma),
//! `mobile_app.parquet`, `loyalty.csv` (Excel-saved: `;`, Windows-1251, CRLF, Russian headers),
//! `pos_receipts.csv.gz` (gzip, `|`) and `email_list.csv` (UTF-8 with BOM, `;`). It also writes the
//! truth: for every data row, the real person behind it and the canonical identifiers in it, so
//! omni's links can be scored. The hard cases real data has are all there, each with a knob in
//! [`SynthConfig`]: junk values, typos, households, a store's phone typed at the till, anonymous
//! receipts, duplicates, provider aliases, spreadsheet-mangled phones and cards.
//!
//! Output is a pure function of the config: a fixed PRNG ([`rng`]), fixed-size chunks, one random
//! stream per source and chunk, so the five files are rendered in parallel and still come out the
//! same. The CSV files are byte-identical for a seed forever; the Parquet and gzip containers hold
//! the same content but their bytes may change with the polars or deflate implementation.
//!
//! [`SynthConfig::international`] (issue 19) writes the same five exports as plain UTF-8 CSV with
//! a country column, about 40% of people outside Russia (US, GB, DE, FR) and their phones in
//! every written form (`+1-415-…`, `1-415-…`, `001 415 …`, `0044 7…`, `(415) 555-0123` next to
//! the row's country): data omni was not shaped around, for the benchmark's second set.
//!
//! It does not model name popularity, purchase behaviour or time order beyond plausibility, and
//! it never calls omni's normalizers: the truth comes from the generator's own canonical values,
//! which is what makes it an independent check.

mod identity;
mod names;
mod people;
mod render;
pub mod rng;
mod sinks;
mod sources;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;
use serde::Serialize;

use identity::Phone;
pub use identity::{Country, JUNK_EMAILS, JUNK_PHONES};
use people::{PeopleFactory, Person};
use rng::Rng;
use sinks::Sink;
pub use sources::Source;
use sources::{Owner, Renderer, Row, Store};

/// People per chunk. Part of the output's definition: changing it changes every file.
const CHUNK_PEOPLE: usize = 32_768;

/// How the five exports are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exports {
    /// A Russian retailer's mixed shapes: Parquet app export, Windows-1251 loyalty CSV with `;`,
    /// gzipped `|` till receipts, an email list with a BOM; phones mostly Russian domestic forms.
    Retail,
    /// Plain UTF-8 CSV with commas in all five files (`.csv`, no gzip, no Parquet, English
    /// headers), a `country` column in the web shop, app and loyalty exports, and foreign
    /// phones in every written form (see `render::phone_home_form`).
    International,
}

/// What to generate. Shares are probabilities in `0..=1`; the defaults aim at a realistic mix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SynthConfig {
    /// The shapes of the files. Default [`Exports::Retail`].
    pub exports: Exports,
    /// Real people to generate (anonymous receipts come on top).
    pub people: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Shares of people in exactly 1, 2, 3, 4 and 5 channels. Default `[0.45, 0.30, 0.15, 0.07,
    /// 0.03]`: most people are in one channel only.
    pub channels_per_person: [f64; 5],
    /// Relative weights of the channels (web shop, app, loyalty, POS, email list) when choosing a
    /// person's channels. Default `[0.30, 0.20, 0.15, 0.20, 0.15]`.
    pub source_weights: [f64; 5],
    /// Shares of people from RU, US, GB, DE and FR. Default `[0.85, 0.06, 0.05, 0.04, 0.0]`.
    pub country_mix: [f64; 5],
    /// Share of people with no email (unless they subscribe to the email list). Default 0.08.
    pub no_email_share: f64,
    /// Share of people with two emails. Default 0.20.
    pub multi_email_share: f64,
    /// Share of people with no phone. Default 0.08.
    pub no_phone_share: f64,
    /// Share of people with two phones. Default 0.15.
    pub multi_phone_share: f64,
    /// Share of people living in a two-person household (same surname) that shares a landline
    /// or a family email. Default 0.02.
    pub household_share: f64,
    /// Share of email and phone cells holding a junk value ([`JUNK_EMAILS`], [`JUNK_PHONES`]),
    /// filled in or not. Default 0.02.
    pub junk_share: f64,
    /// Share of people with one mistyped email (two adjacent letters swapped) in one row.
    /// Default 0.01.
    pub typo_share: f64,
    /// Share of rows written twice in a row (exact duplicates). Default 0.01.
    pub duplicate_share: f64,
    /// Share of web shop customers with a second account. Default 0.03.
    pub second_account_share: f64,
    /// Share of email cells written as a provider alias (gmail dots, `+tag`, googlemail, yandex
    /// domains); the email list uses twice this. Default 0.15.
    pub alias_share: f64,
    /// Share of email cells typed carelessly (capitals, surrounding spaces). Default 0.15.
    pub messy_email_share: f64,
    /// Share of Russian phones in the loyalty export stored as spreadsheet floats
    /// (`7.9161234567E10`). Default 0.30.
    pub float_phone_share: f64,
    /// Share of all receipts that are anonymous (no card, no phone). Default 0.30.
    pub anonymous_receipt_share: f64,
    /// Share of receipts where the cashier typed the store's own phone. Default 0.005.
    pub store_phone_share: f64,
    /// How many stores have cashiers who type the store phone (of 12 stores). Default 2.
    pub store_phones: usize,
    /// Fewest receipts per POS customer. Default 2.
    pub min_receipts: u8,
    /// Most receipts per POS customer. Default 5.
    pub max_receipts: u8,
}

impl SynthConfig {
    /// Defaults for `people` and `seed`.
    pub fn new(people: usize, seed: u64) -> Self {
        SynthConfig {
            exports: Exports::Retail,
            people,
            seed,
            channels_per_person: [0.45, 0.30, 0.15, 0.07, 0.03],
            source_weights: [0.30, 0.20, 0.15, 0.20, 0.15],
            country_mix: [0.85, 0.06, 0.05, 0.04, 0.0],
            no_email_share: 0.08,
            multi_email_share: 0.20,
            no_phone_share: 0.08,
            multi_phone_share: 0.15,
            household_share: 0.02,
            junk_share: 0.02,
            typo_share: 0.01,
            duplicate_share: 0.01,
            second_account_share: 0.03,
            alias_share: 0.15,
            messy_email_share: 0.15,
            float_phone_share: 0.30,
            anonymous_receipt_share: 0.30,
            store_phone_share: 0.005,
            store_phones: 2,
            min_receipts: 2,
            max_receipts: 5,
        }
    }

    /// The bundled sample (`testdata/sample`): 70 people, with the rare cases made common enough
    /// that every one of them appears at least once in a file small enough to read.
    pub fn sample() -> Self {
        SynthConfig {
            household_share: 0.15,
            junk_share: 0.05,
            typo_share: 0.06,
            duplicate_share: 0.03,
            second_account_share: 0.08,
            alias_share: 0.35,
            country_mix: [0.70, 0.10, 0.10, 0.10, 0.0],
            anonymous_receipt_share: 0.20,
            store_phone_share: 0.04,
            store_phones: 1,
            max_receipts: 3,
            ..SynthConfig::new(70, 15)
        }
    }

    /// The international set (issue 19): plain UTF-8 CSV ([`Exports::International`]), 40% of
    /// people outside Russia, more email aliases, fewer spreadsheet floats.
    pub fn international(people: usize, seed: u64) -> Self {
        SynthConfig {
            exports: Exports::International,
            country_mix: [0.60, 0.12, 0.10, 0.10, 0.08],
            alias_share: 0.20,
            float_phone_share: 0.10,
            ..SynthConfig::new(people, seed)
        }
    }

    /// `country_mix` without trailing zero weights, so that a country added with weight 0 can
    /// never be drawn (not even by the rounding fall-through of `Rng::weighted`) and the
    /// default sets keep their bytes.
    pub(crate) fn country_weights(&self) -> &[f64] {
        let used = self
            .country_mix
            .iter()
            .rposition(|w| *w > 0.0)
            .map_or(self.country_mix.len(), |last| last + 1);
        &self.country_mix[..used]
    }

    /// Checks shares and counts; the message names the bad knob.
    pub fn validate(&self) -> anyhow::Result<()> {
        let shares = [
            ("no_email_share", self.no_email_share),
            ("multi_email_share", self.multi_email_share),
            ("no_phone_share", self.no_phone_share),
            ("multi_phone_share", self.multi_phone_share),
            ("household_share", self.household_share),
            ("junk_share", self.junk_share),
            ("typo_share", self.typo_share),
            ("duplicate_share", self.duplicate_share),
            ("second_account_share", self.second_account_share),
            ("alias_share", self.alias_share),
            ("messy_email_share", self.messy_email_share),
            ("float_phone_share", self.float_phone_share),
            ("anonymous_receipt_share", self.anonymous_receipt_share),
            ("store_phone_share", self.store_phone_share),
        ];
        for (name, share) in shares {
            anyhow::ensure!(
                (0.0..=1.0).contains(&share),
                "{name} must be between 0 and 1, got {share}"
            );
        }
        anyhow::ensure!(
            self.no_email_share + self.multi_email_share <= 1.0,
            "no_email_share + multi_email_share exceeds 1"
        );
        anyhow::ensure!(
            self.no_phone_share + self.multi_phone_share <= 1.0,
            "no_phone_share + multi_phone_share exceeds 1"
        );
        for (name, weights) in [
            ("channels_per_person", &self.channels_per_person[..]),
            ("source_weights", &self.source_weights[..]),
            ("country_mix", &self.country_mix[..]),
        ] {
            let valid = weights.iter().all(|w| *w >= 0.0 && w.is_finite())
                && weights.iter().sum::<f64>() > 0.0;
            anyhow::ensure!(
                valid,
                "{name} needs non-negative weights with a positive sum"
            );
        }
        anyhow::ensure!(
            self.people <= u32::MAX as usize,
            "at most {} people",
            u32::MAX
        );
        anyhow::ensure!(
            self.store_phones <= STORE_CODES.len(),
            "at most {} store phones",
            STORE_CODES.len()
        );
        anyhow::ensure!(
            1 <= self.min_receipts && self.min_receipts <= self.max_receipts,
            "need 1 <= min_receipts <= max_receipts"
        );
        Ok(())
    }
}

/// Hard cases counted in the rows as written (a duplicated row counts twice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HardCases {
    /// Junk values in email and phone cells.
    pub junk_values: u64,
    /// Rows with a mistyped email.
    pub typo_rows: u64,
    /// Receipts with a store's own phone.
    pub store_phone_rows: u64,
    /// Rows carrying an identifier shared by a household.
    pub household_rows: u64,
    /// Emails written as a provider alias.
    pub alias_emails: u64,
    /// Phones written as spreadsheet floats.
    pub float_phones: u64,
    /// Foreign phones in national form next to a country column.
    pub national_phones: u64,
    /// Second web shop accounts of one person.
    pub second_accounts: u64,
    /// Exact duplicate rows (the second copies).
    pub duplicate_rows: u64,
    /// Receipts without a person.
    pub anonymous_receipts: u64,
}

impl HardCases {
    fn count(&mut self, row: &Row) {
        let m = &row.marks;
        self.junk_values += u64::from(m.junk);
        self.typo_rows += u64::from(m.typo);
        self.store_phone_rows += u64::from(m.store_phone);
        self.household_rows += u64::from(m.household);
        self.alias_emails += u64::from(m.alias);
        self.float_phones += u64::from(m.float_phone);
        self.national_phones += u64::from(m.national_phone);
        self.second_accounts += u64::from(m.second_account);
        self.anonymous_receipts += u64::from(matches!(row.owner, Owner::Anonymous(_)));
    }

    fn add(&mut self, other: &HardCases) {
        self.junk_values += other.junk_values;
        self.typo_rows += other.typo_rows;
        self.store_phone_rows += other.store_phone_rows;
        self.household_rows += other.household_rows;
        self.alias_emails += other.alias_emails;
        self.float_phones += other.float_phones;
        self.national_phones += other.national_phones;
        self.second_accounts += other.second_accounts;
        self.duplicate_rows += other.duplicate_rows;
        self.anonymous_receipts += other.anonymous_receipts;
    }
}

/// One export in the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceSummary {
    /// Source name (file stem), as in the truth file.
    pub source: String,
    /// File name in the output folder.
    pub file: String,
    /// Data rows (header not counted).
    pub rows: u64,
    /// Hard cases in this file.
    pub hard_cases: HardCases,
}

/// What [`generate`] wrote, with the numbers omni's report can be checked against.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The seed used.
    pub seed: u64,
    /// Real people generated.
    pub people: usize,
    /// Per export: rows and hard cases.
    pub sources: Vec<SourceSummary>,
    /// Rows in the truth file (header not counted): the sum of `sources[].rows`.
    pub truth_rows: u64,
    /// People by home country.
    pub people_by_country: BTreeMap<String, u64>,
    /// People by the number of exports they have rows in (index 0..=5).
    pub people_by_channel_count: Vec<u64>,
    /// True match rate: share of people with rows in two or more exports (4 decimals).
    pub match_rate: f64,
    /// Share of people whose rows in two or more exports are connected through their own
    /// identifiers (ignoring junk and typos): the best match rate a linker can find (4 decimals).
    pub linkable_match_rate: f64,
    /// Two-person households.
    pub households: u64,
    /// Household identifiers that appear in rows of both members, so they join two people.
    pub household_identifiers_shared: u64,
    /// Distinct store phones typed at tills.
    pub store_phones: usize,
    /// Totals of the per-source hard cases.
    pub hard_cases: HardCases,
}

/// Store codes; the first `store_phones` have cashiers who type the store phone.
const STORE_CODES: [&str; 12] = [
    "MSK-001", "MSK-002", "MSK-003", "MSK-004", "MSK-005", "MSK-006", "SPB-001", "SPB-002",
    "SPB-003", "EKB-001", "KZN-001", "NSK-001",
];

fn stores(cfg: &SynthConfig) -> Vec<Store> {
    let mut rng = Rng::stream(cfg.seed, 2, 0);
    STORE_CODES
        .iter()
        .enumerate()
        .map(|(i, code)| Store {
            code: (*code).to_string(),
            phone: (i < cfg.store_phones).then(|| Phone::landline(Country::Ru, &mut rng)),
        })
        .collect()
}

/// One source's sink and the counters that continue across chunks.
struct SourceState {
    source: Source,
    sink: Sink,
    next_id: u64,
    next_anonymous: u64,
}

/// Writes the five exports into `out_dir` (created if missing) and the truth CSV to
/// `truth_path` (which must not be inside `out_dir`, since omni reads every file there).
/// Existing files of the same names are replaced.
pub fn generate(cfg: &SynthConfig, out_dir: &Path, truth_path: &Path) -> anyhow::Result<Summary> {
    cfg.validate()?;
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    if let Some(parent) = truth_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let stores = stores(cfg);
    let reserved: Vec<String> = stores
        .iter()
        .filter_map(|s| s.phone.as_ref())
        .map(|p| format!("phone:{}", p.e164()))
        .collect();
    let parts: Vec<PathBuf> = Source::ALL
        .iter()
        .map(|s| truth_part(truth_path, *s))
        .collect();
    let mut states = Source::ALL
        .iter()
        .zip(&parts)
        .map(|(source, part)| {
            let sink = Sink::create(*source, cfg.exports, out_dir, part)?;
            Ok(SourceState {
                source: *source,
                sink,
                next_id: 0,
                next_anonymous: 0,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut factory = PeopleFactory::new(cfg, &reserved);
    let mut stats = PeopleStats::new();
    let mut chunk = 0u64;
    while !factory.is_done() {
        let mut people = Vec::with_capacity(CHUNK_PEOPLE + 1);
        while people.len() < CHUNK_PEOPLE && !factory.is_done() {
            people.extend(factory.next_people());
        }
        let rendered: Vec<Vec<Row>> = states
            .par_iter_mut()
            .map(|state| {
                let rng = Rng::stream(cfg.seed, 10 + state.source.position() as u64, chunk);
                Renderer::new(
                    cfg,
                    &stores,
                    rng,
                    &mut state.next_id,
                    &mut state.next_anonymous,
                )
                .render(state.source, &people)
            })
            .collect();
        stats.add_chunk(&people, &rendered);
        states
            .par_iter_mut()
            .zip(&rendered)
            .try_for_each(|(state, rows)| {
                let mut rng = Rng::stream(cfg.seed, 20 + state.source.position() as u64, chunk);
                state.sink.write(rows, cfg.duplicate_share, &mut rng)
            })?;
        chunk += 1;
    }
    let mut sources = Vec::new();
    for state in states {
        let (source, rows, hard_cases) = state.sink.finish()?;
        let file = source.file_name(cfg.exports).to_string();
        let source = source.stem().to_string();
        sources.push(SourceSummary {
            source,
            file,
            rows,
            hard_cases,
        });
    }
    join_truth(truth_path, &parts)?;
    Ok(stats.summary(cfg, sources))
}

/// A hidden part file of the truth next to it, for one source.
fn truth_part(truth_path: &Path, source: Source) -> PathBuf {
    let name = truth_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    truth_path.with_file_name(format!(".{name}.{}.part", source.stem()))
}

/// Writes the truth header and the parts in source order, then removes the parts.
fn join_truth(truth_path: &Path, parts: &[PathBuf]) -> anyhow::Result<()> {
    let file = File::create(truth_path)
        .with_context(|| format!("cannot create {}", truth_path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(b"source,row,person_id,identifiers\n")?;
    for part in parts {
        let mut input =
            File::open(part).with_context(|| format!("cannot read {}", part.display()))?;
        std::io::copy(&mut input, &mut out)?;
        fs::remove_file(part).with_context(|| format!("cannot remove {}", part.display()))?;
    }
    out.flush()?;
    Ok(())
}

/// People-level counts gathered chunk by chunk.
struct PeopleStats {
    by_country: BTreeMap<String, u64>,
    by_channels: Vec<u64>,
    linkable: u64,
    households: u64,
    household_shared: u64,
}

impl PeopleStats {
    fn new() -> Self {
        PeopleStats {
            by_country: BTreeMap::new(),
            by_channels: vec![0; 6],
            linkable: 0,
            households: 0,
            household_shared: 0,
        }
    }

    /// Counts channels and linkability of the people of one chunk from their rows.
    fn add_chunk(&mut self, people: &[Person], rendered: &[Vec<Row>]) {
        let base = people.first().map_or(0, |p| p.index);
        let mut rows_of: Vec<Vec<(usize, &[String])>> = vec![Vec::new(); people.len()];
        for (source, rows) in rendered.iter().enumerate() {
            for row in rows {
                if let Owner::Person(index) = row.owner {
                    rows_of[(index - base) as usize].push((source, &row.identifiers));
                }
            }
        }
        let mut household_carriers: HashMap<&str, Vec<u32>> = HashMap::new();
        for (person, rows) in people.iter().zip(&rows_of) {
            *self
                .by_country
                .entry(person.country.code().to_string())
                .or_default() += 1;
            let mut seen = 0u8;
            rows.iter().for_each(|(source, _)| seen |= 1 << source);
            self.by_channels[seen.count_ones() as usize] += 1;
            self.linkable += u64::from(is_linkable(rows));
            if let Some(shared) = person.household.as_deref() {
                self.households += 1;
                if rows
                    .iter()
                    .any(|(_, ids)| ids.iter().any(|id| id == shared))
                {
                    household_carriers
                        .entry(shared)
                        .or_default()
                        .push(person.index);
                }
            }
        }
        self.household_shared += household_carriers
            .values()
            .filter(|carriers| carriers.len() >= 2)
            .count() as u64;
    }

    fn summary(self, cfg: &SynthConfig, sources: Vec<SourceSummary>) -> Summary {
        let mut hard_cases = HardCases::default();
        sources.iter().for_each(|s| hard_cases.add(&s.hard_cases));
        let truth_rows = sources.iter().map(|s| s.rows).sum();
        let people = cfg.people.max(1) as f64;
        let multi: u64 = self.by_channels[2..].iter().sum();
        Summary {
            seed: cfg.seed,
            people: cfg.people,
            sources,
            truth_rows,
            people_by_country: self.by_country,
            people_by_channel_count: self.by_channels,
            match_rate: round4(multi as f64 / people),
            linkable_match_rate: round4(self.linkable as f64 / people),
            households: self.households / 2,
            household_identifiers_shared: self.household_shared,
            store_phones: cfg.store_phones,
            hard_cases,
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Whether some group of one person's `rows`, joined through identifiers they share, spans two
/// or more exports. Typos never join (they are unique); the household's shared value does, since
/// it is the person's own identifier too.
fn is_linkable(rows: &[(usize, &[String])]) -> bool {
    let mut group: Vec<usize> = (0..rows.len()).collect();
    fn root(group: &[usize], mut i: usize) -> usize {
        while group[i] != i {
            i = group[i];
        }
        i
    }
    for a in 0..rows.len() {
        for b in a + 1..rows.len() {
            if rows[a].1.iter().any(|id| rows[b].1.contains(id)) {
                let (ra, rb) = (root(&group, a), root(&group, b));
                group[ra] = rb;
            }
        }
    }
    let mut sources_by_root: HashMap<usize, u8> = HashMap::new();
    for (i, (source, _)) in rows.iter().enumerate() {
        *sources_by_root.entry(root(&group, i)).or_default() |= 1 << source;
    }
    sources_by_root.values().any(|bits| bits.count_ones() >= 2)
}
