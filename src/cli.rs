//! The command line: clap derive types only. `config::RunConfig::from_cli` turns these into
//! validated settings; nothing past that reads `Cli`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::input::EncodingChoice;

/// Turns scattered customer contact exports into one profile per real person.
#[derive(Debug, Parser)]
#[command(name = "omni", version, about, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,

    /// Print nothing on success (errors still go to stderr; the exit code tells the result).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Also print customer data in messages (the generic identifiers and junk values the guards
    /// found, the identifiers bridging alarmed profiles). Off by default, so logs kept by cron
    /// hold no emails, phones or cards.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,

    /// When to use colour on stdout.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// When to draw progress bars on stderr [default: auto = only when stderr is a terminal].
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto, global = true, hide_short_help = true)]
    pub progress: ProgressChoice,

    /// Worker threads for reading and normalizing (0 = all cores; at most 256, or the number
    /// of cores if higher: more are lowered to that with a warning). Results do not depend on it.
    #[arg(short = 'j', long, default_value_t = 0, global = true, value_parser = parse_threads)]
    pub threads: usize,
}

/// Most worker threads `-j` starts (unless the machine has more cores): threads past the cores
/// only add start-up time, and a huge count runs the system out of processes (issue 16).
pub const MAX_THREADS: usize = 256;

/// `-j N`: a whole number of threads (0 = all cores).
fn parse_threads(text: &str) -> Result<usize, String> {
    text.trim().parse::<usize>().map_err(|_| {
        format!("'{text}' is not a number of threads: give a whole number (0 = all cores)")
    })
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Link records across exports into golden profiles and write profiles, links, rejects and a
    /// match-rate report.
    #[command(after_long_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// Show how omni reads each file: columns, detected roles, fill and validity, samples.
    #[command(after_long_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// Explain one profile: its records, the identifiers that joined them (as a tree), and the
    /// links the over-merge guards refused.
    #[command(after_long_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Show what raw values become after normalization, or why they are rejected.
    #[command(after_long_help = NORMALIZE_EXAMPLES)]
    Normalize(NormalizeArgs),
    /// Print the match-rate report of a previous merge again: as the terminal summary, as JSON,
    /// or as Markdown tables for a ticket or a chat.
    #[command(after_long_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Turn a previous merge into what campaigns use: send lists per channel, a channel
    /// cascade, and hashed ad-platform audiences, for a segment of profiles.
    #[command(after_long_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),
    /// The steps of a distributed run, for spark/omni_spark.py (docs/spark.md).
    #[command(hide = true, subcommand)]
    Stage(StageCommand),
}

// ---- `omni export` (issue 18) ----

const EXPORT_EXAMPLES: &str = "\
Examples:
  omni export out/                                  # every list, every profile, into omni-export/
  omni export out/ --where 'sources>=2' -o audiences/
  omni export out/ --where buyer --where 'last_seen>=2026-01-01'
  omni export out/ --where 'not email' --suppress unsubscribed.csv
  omni export out/ --config omni.toml               # cascade and extra channels from [export]";

/// `omni export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The output folder of a previous `omni merge` (profiles.csv, edges.csv, report.json are
    /// read; the inputs are not).
    #[arg(value_name = "OUT_DIR")]
    pub out: PathBuf,

    /// Folder to write the send lists, the cascade and the audiences into (created; files of
    /// the same names are replaced).
    #[arg(
        short = 'o',
        long = "out",
        value_name = "EXPORT_DIR",
        default_value = "omni-export"
    )]
    pub export_dir: PathBuf,

    /// Keep only the profiles matching a condition, e.g. `sources>=2`, `buyer`,
    /// `last_seen>=2026-01-01`, `not email`, `source=web_shop and purchases>=2`. Repeat to
    /// require all [default: every profile]. See docs/export.md for the language.
    #[arg(short = 'w', long = "where", value_name = "CONDITION", value_parser = crate::export::filter::Filter::from_arg)]
    pub conditions: Vec<crate::export::filter::Filter>,

    /// A file of emails and/or phones never to export (unsubscribed, bounced): one per line or
    /// CSV cells, normalized as `merge` normalizes them; with a `status` column, only its
    /// unsubscribed/bounced/complained rows. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub suppress: Vec<PathBuf>,

    /// Config file (cascade order, extra channels, email rules) [default: ./omni.toml if it
    /// exists].
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

const REPORT_EXAMPLES: &str = "\
Examples:
  omni report out/                     # the summary `omni merge` printed
  omni report out/ --format markdown   # tables to paste into a ticket
  omni report out/ --format json | jq .match_rate";

/// `omni report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The output folder of a previous `omni merge` (its report.json is read).
    #[arg(value_name = "OUT_DIR")]
    pub out: PathBuf,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `omni report --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The terminal summary printed by `omni merge`.
    Text,
    /// report.json as written.
    Json,
    /// Markdown tables (GitHub-flavoured), for tickets and chats.
    Markdown,
}

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  omni explain out/ P0a782ab700643238          # by profile id
  omni explain out/ ivan.petrov@mail.ru         # by email (normalized first)
  omni explain out/ '8 916 123-45-67'           # by phone
  omni explain out/ web_shop:57                 # by record: source:row";

/// `omni explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The output folder of a previous `omni merge`.
    #[arg(value_name = "OUT_DIR")]
    pub out: PathBuf,

    /// A profile id, an email, a phone, a card, or a record as `source:row`.
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Phone region for a phone query without a country code [default: the regions the merge
    /// used, from report.json].
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,

    /// Config file (for email alias rules) [default: ./omni.toml if it exists].
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

const MERGE_EXAMPLES: &str = "\
Examples:
  omni merge exports/*.csv                          # the marketer: zero config
  omni merge exports/ app.parquet --country RU -o out/
  omni merge --config omni.toml -o out/ --quiet exports/   # the nightly job
  omni merge --state state/ -o out/ --quiet exports/       # stable ids, changes.csv
  omni merge --state state/ --incremental -o out/ new/     # link only the new exports
  omni merge --state state/ exports/ --fail-on match-rate-drop=2%   # drift alarm: exit 3
  omni merge exports/ --fail-on max-profile-size=500 --fail-on rejects=5%   # exit 3 when they hold
  omni merge shop.csv --encoding cp1251             # force the encoding

One machine is the better choice up to about 100 million records (about 17 GiB of memory and
a few minutes): beyond that, or with the exports already in a cluster's storage, run the same
merge on Spark: spark/omni_spark.py (README \"Beyond one machine\", docs/spark.md).";

const INSPECT_EXAMPLES: &str = "\
Examples:
  omni inspect exports/
  omni inspect exports/ --write-config omni.toml    # start a config from what was detected";

const NORMALIZE_EXAMPLES: &str = "\
Examples:
  omni normalize --kind phone --country RU '8 916 123-45-67' 7.9161234567E10
  omni normalize --kind email 'John.Smith+promo@GoogleMail.com'";

/// Options shared by commands that read inputs.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Files (.csv, .tsv, .txt, .csv.gz, .parquet) or folders of them.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Config file [default: ./omni.toml if it exists].
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Default phone region for numbers written without a country code (ISO code, e.g. RU, US).
    /// Overrides `country` in the config. A per-row country or locale column wins over both.
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,

    /// Text encoding of CSV inputs [default: auto: BOM, else UTF-8 if valid, else Windows-1251].
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingChoice>,

    /// Field delimiter of CSV inputs [default: sniffed among , ; tab |].
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,

    /// Reject rows with a field longer than N bytes as `field_too_long` [default: 65536, or
    /// max_field_bytes in [limits] of the config].
    #[arg(long, value_name = "N", hide_short_help = true)]
    pub max_field_bytes: Option<usize>,

    /// Fail on a file with more than N data rows (0 = no cap) [default: 0, or max_rows in
    /// [limits] of the config].
    #[arg(long, value_name = "N", hide_short_help = true)]
    pub max_rows: Option<u64>,

    /// Link records on COLUMN in every file that has it, as `id:NAMESPACE` [default namespace:
    /// the column name]; repeatable. The same as `"COLUMN" = "id:NAMESPACE"` in the config's
    /// `[columns]`. For shared ids that are not email, phone or card (an SSN, a member number);
    /// `omni inspect` proposes such columns.
    #[arg(long = "id", value_name = "COLUMN[=NAMESPACE]")]
    pub id: Vec<String>,
}

/// `omni merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub read: ReadArgs,

    /// Output folder; created if missing. Files in it are replaced only when the run completes.
    #[arg(short, long, value_name = "DIR", default_value = "omni-out")]
    pub out: PathBuf,

    /// Exit with code 3 (after writing every output) when a condition holds; repeatable:
    /// max-profile-size=N, rejects=P% (rows that joined no profile), alarms=N (profiles above
    /// the alarm size), generic=N (generic identifiers), match-rate-below=P%, retention-below=P%
    /// and ropo-below=P% (campaign metrics; they hold when not measurable); and with --state,
    /// relative to the previous run: match-rate-drop=P% (points), largest-profile-growth=P%,
    /// reject-share-jump=P% (points), ltv-drop=P% (of the mean LTV).
    #[arg(long = "fail-on", value_name = "COND", value_parser = crate::policy::FailOn::parse)]
    pub fail_on: Vec<crate::policy::FailOn>,

    /// Keep profile ids stable across runs: read the previous run's state from DIR (if any) and
    /// save this run's there. Also writes changes.csv and redirects.csv, adds
    /// `since_previous` to report.json and enables the drift conditions of --fail-on
    /// (match-rate-drop=P%, largest-profile-growth=P%, reject-share-jump=P%, ltv-drop=P%). One run at a
    /// time per DIR (a lock refuses a second).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Read only the INPUT files given now and link them with every file saved in --state:
    /// the same profiles as a full run over all of them, without re-reading the old ones. A
    /// file given again (same path) replaces its saved records.
    #[arg(long, requires = "state")]
    pub incremental: bool,

    /// With --incremental: drop the rows saved in --state for this source (its name, as in
    /// the outputs, or its path), as when its file was deleted, or renamed (then the file
    /// given under the new name replaces it); repeatable.
    #[arg(long, value_name = "NAME", requires = "incremental")]
    pub forget_source: Vec<String>,

    /// Exit with code 1 (after writing every output) when anything was rejected: a value, or a
    /// row that was ragged, unreadable, too long or without an identifier. Wins over --fail-on.
    #[arg(long)]
    pub strict: bool,

    /// How cells that a spreadsheet would run as formulas (starting with = + - @, tab or CR,
    /// other than a plain signed number such as +79161234567 or -12.50) are written in the CSV
    /// tables: `formulas` puts a `'` in front (OWASP's advice; `omni explain` removes it),
    /// `none` writes values as they are, for programs [default: formulas, or csv_escape in
    /// [output] of the config].
    #[arg(long, value_enum, value_name = "MODE")]
    pub csv_escape: Option<crate::output::escape::CsvEscape>,

    /// How the tables profiles, links, edges, refused, rejects and contacts are written: `csv`
    /// (NAME.csv) or `parquet` (NAME.parquet: the same rows and order, counts and row numbers
    /// as integers, empty cells as nulls, never formula-escaped; for Spark, DuckDB, pandas).
    /// report.json, report.html, changes.csv and redirects.csv are the same either way.
    /// `omni explain` and `omni export` read both; with --incremental, a Parquet out dir is
    /// written afresh (rows are copied only from CSV tables) [default: csv].
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t,
        hide_default_value = true
    )]
    pub format: crate::output::format::TableFormat,
    /// How records link: `exact` (shared identifiers only, the default) or `probabilistic`
    /// (then a second pass compares what exact identifiers left apart, within blocks, on names,
    /// birth dates, addresses and near-miss identifiers, with weights learned from the exact
    /// links; see docs/probabilistic.md). Overrides `[match] mode` of omni.toml.
    #[arg(long = "match", value_enum, value_name = "MODE")]
    pub matching: Option<MatchMode>,
}

/// `--match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MatchMode {
    /// Shared identifiers only.
    Exact,
    /// Exact, then the probabilistic second pass.
    Probabilistic,
}

/// `omni inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub read: ReadArgs,

    /// Rows to sample per file for fill and validity rates.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub sample_rows: usize,

    /// Write what was detected as an editable omni.toml to FILE (refuses to overwrite).
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
}

/// `omni normalize`.
#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// What kind of identifier the values are.
    #[arg(long, short, value_enum)]
    pub kind: NormalizeKind,

    /// Default phone region (ISO code) for `--kind phone`.
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,

    /// Config file (for alias tables, card prefixes, blocklist) [default: ./omni.toml if it exists].
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The raw values.
    #[arg(required = true, value_name = "VALUE")]
    pub values: Vec<String>,
}

/// Identifier kinds accepted by `omni normalize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NormalizeKind {
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// Loyalty card number.
    Card,
    /// Id namespace value.
    Id,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, `NO_COLOR` is unset and `TERM` is not `dumb`.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--progress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressChoice {
    /// Bars only when stderr is a terminal and not `--quiet`.
    Auto,
    /// Always draw bars (for debugging).
    Always,
    /// Never draw bars.
    Never,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "invalid delimiter '{s}': give one ASCII character, or 'tab'"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn delimiter_accepts_tab_and_single_chars() {
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter(";;").is_err());
    }
}

// ---- `omni stage` (hidden; issue 17: the steps spark/omni_spark.py runs) ----

/// The stages of a distributed run.
#[derive(Debug, Subcommand)]
pub enum StageCommand {
    /// Plan the run on the driver: sources, column roles, regions, settings fingerprint.
    Plan(PlanArgs),
    /// Extract one input file (a task).
    Extract(ExtractArgs),
    /// Decide the generic identifiers among the candidates Spark found (driver).
    Generic(GenericArgs),
    /// Link a batch of whole components (a task).
    Link(LinkArgs),
    /// Rebuild the run from the tasks' products and write the out dir as `omni merge` does.
    Finish(FinishArgs),
}

/// `omni stage plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Inputs and how to read them, as for `omni merge`.
    #[command(flatten)]
    pub read: ReadArgs,
    /// The plan file to write.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
}

/// `omni stage extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Source number (in plan order).
    #[arg(long)]
    pub source: usize,
    /// Folder for records.parquet and summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `omni stage generic`.
#[derive(Debug, Args)]
pub struct GenericArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Candidates: Parquet with `id`, `records`, `groups`.
    #[arg(long, value_name = "FILE")]
    pub candidates: PathBuf,
    /// Their components' names: Parquet with `id`, `comp`, `rec`, `name`.
    #[arg(long, value_name = "FILE")]
    pub names: PathBuf,
    /// The decisions (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `omni stage link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The generic identifiers (`stage generic`).
    #[arg(long, value_name = "FILE")]
    pub generic: PathBuf,
    /// Records: Parquet with `rec`, `blob`.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Linked records: Parquet with `rec`, `blob`, `link`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `omni stage finish`.
#[derive(Debug, Args)]
pub struct FinishArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The generic identifiers (`stage generic`).
    #[arg(long, value_name = "FILE")]
    pub generic: PathBuf,
    /// Folder of `summary-<source>.json` files (`stage extract`).
    #[arg(long, value_name = "DIR")]
    pub summaries: PathBuf,
    /// Linked records: Parquet files, or folders of them (`stage link`).
    #[arg(long, value_name = "PATH", required = true)]
    pub linked: Vec<PathBuf>,
    /// Output folder, as for `omni merge`.
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// State folder, as for `omni merge --state`.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// As for `omni merge`.
    #[arg(long, value_enum, value_name = "MODE")]
    pub csv_escape: Option<crate::output::escape::CsvEscape>,
    /// As for `omni merge`.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub format: crate::output::format::TableFormat,
}
