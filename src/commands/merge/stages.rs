//! The stages of `omni merge` (docs/pipeline.md), each a short call into the module that does
//! the work, with its timing. The data products passed between them are plain data.

use std::time::Instant;

use anyhow::bail;

use crate::cli::{MatchMode, MergeArgs};
use crate::config::Settings;
use crate::extract::{self, Extracted, InputFile};
use crate::graph::carry::Lineage;
use crate::graph::{self, Clusters};
use crate::memory;
use crate::normalize::Normalizers;
use crate::output::format::{self, TableFormat};
use crate::output::reuse::{self, Reuse, SavedSources, TableStamp};
use crate::output::{OutDir, tables, write_json, write_text};
use crate::profile::{self, Profiles};
use crate::report::{self, Report};
use crate::state::session::{CarriedIds, Outcome};
use crate::state::{RunMetrics, Session, Snapshot, incremental};
use crate::ui::Ui;

/// What every stage of one run reads: the flags, the settings and the terminal.
pub struct Run<'a> {
    /// The command line.
    pub args: &'a MergeArgs,
    /// Settings from omni.toml and the flags.
    pub settings: Settings,
    normalizers: Normalizers,
    probabilistic: bool,
    ui: &'a Ui,
}

/// The *extract* stage's product for this run: the records (saved and new together when
/// incremental), and what an incremental run's carry and reuse need.
pub struct Read {
    /// The records, identifiers and rejects.
    pub snapshot: Snapshot,
    lineage: Option<Lineage>,
    saved_sources: Option<SavedSources>,
}

impl Read {
    /// Per source, whether it was read in this run (warnings are about those only: an
    /// incremental night does not repeat what was said when a saved file was read).
    pub fn read_now(&self) -> Vec<bool> {
        match &self.saved_sources {
            Some(sources) => sources.saved_source.iter().map(|saved| !saved).collect(),
            None => vec![true; self.snapshot.extracted.sources.len()],
        }
    }
}

/// The *link* stage's product: clusters, which records were carried, the probabilistic pass.
pub struct Linked {
    /// Clusters with their spanning trees and refusals.
    pub clusters: Clusters,
    carried_records: Option<Vec<bool>>,
    second_pass: Option<crate::fuzzy::Outcome>,
}

/// Everything the report and the tables are made of.
pub struct Made<'a> {
    /// The records.
    pub extracted: &'a Extracted,
    /// The link result.
    pub linked: &'a Linked,
    /// The profiles, with their final ids.
    pub profiles: &'a Profiles,
    /// The ids carried from the previous run (with `--state`).
    pub ids: Option<&'a CarriedIds>,
}

impl<'a> Run<'a> {
    /// Reads the settings (omni.toml and the flags) and builds the normalizers.
    pub fn new(args: &'a MergeArgs, ui: &'a Ui) -> anyhow::Result<Run<'a>> {
        let mut settings = Settings::from_cli(&args.read)?;
        settings.csv_escape = args.csv_escape.unwrap_or(settings.csv_escape);
        let normalizers = Normalizers::new(&settings)?;
        let probabilistic = args
            .matching
            .map_or(settings.probabilistic, |m| m == MatchMode::Probabilistic);
        Ok(Run {
            args,
            settings,
            normalizers,
            probabilistic,
            ui,
        })
    }

    /// `--state`: the state folder, locked and read (`state::Session`).
    pub fn open_state(&self) -> anyhow::Result<Option<Session>> {
        let args = self.args;
        args.state
            .as_deref()
            .map(|dir| Session::open(dir, args.incremental, &self.settings, self.ui))
            .transpose()
    }

    /// An incremental run reads the previous tables it may copy rows from while it works.
    pub fn previous_tables(&self, session: Option<&Session>) -> Option<reuse::Pending> {
        let stamps = session?.previous_tables();
        self.args
            .incremental
            .then(|| reuse::read_previous(stamps, &self.args.out))
            .flatten()
    }

    /// The input files, after the checks that need no reading; warns about what it skipped.
    pub fn inputs(&self) -> anyhow::Result<Vec<InputFile>> {
        if self.probabilistic && self.args.incremental {
            bail!(
                "--match probabilistic re-reads every input for names, dates and addresses, so \
                 it cannot run with --incremental; run without --incremental (--state still \
                 keeps the profile ids stable)"
            );
        }
        let (files, warnings) = extract::resolve_inputs(&self.args.read.inputs, &self.settings)?;
        // An incremental run is given only the new files: sections for saved ones are fine.
        if !self.args.incremental {
            let stems: Vec<&str> = files.iter().map(|f| f.stem.as_str()).collect();
            self.settings.check_sources_exist(&stems)?;
        }
        for warning in &warnings {
            self.ui.warn(warning);
        }
        Ok(files)
    }

    /// *extract*: reads every file; an incremental run reads the new ones and adds the saved
    /// records of `session`.
    pub fn extract(
        &self,
        files: &[InputFile],
        session: Option<&mut Session>,
    ) -> anyhow::Result<Read> {
        let started = Instant::now();
        let read = match session.filter(|_| self.args.incremental) {
            Some(session) => {
                let (snapshot, warnings, lineage, sources) = incremental::run(
                    session.history()?,
                    files.to_vec(),
                    &self.settings,
                    &self.normalizers,
                    &self.args.forget_source,
                    self.ui,
                )?;
                for warning in &warnings {
                    self.ui.warn(warning);
                }
                Read {
                    snapshot,
                    lineage,
                    saved_sources: Some(sources),
                }
            }
            None => {
                let extracted = extract::extract(files, &self.normalizers, self.ui)?;
                Read {
                    snapshot: incremental::snapshot_of(extracted, files, &self.settings),
                    lineage: None,
                    saved_sources: None,
                }
            }
        };
        // Each stage hands back what it freed (`memory::release_freed`), so the next one starts
        // from what is live: the run's peak is then the live data, not the sum of the leftovers.
        memory::release_freed();
        self.ui.timing("extract", started);
        Ok(read)
    }

    /// *components* and *link*: links the records under the guards (only the components the
    /// new records touch when a saved link result can be carried), then the probabilistic
    /// pass when asked for.
    pub fn link(&self, read: &mut Read, files: &[InputFile]) -> anyhow::Result<Linked> {
        let started = Instant::now();
        let extracted = &read.snapshot.extracted;
        let mut guards = self.settings.guards.clone();
        guards.given_name_sources = extract::given_name_sources(&extracted.sources);
        let (mut clusters, how, carried_records) = graph::carry::link_with(
            &extracted.records,
            &extracted.interner,
            &extracted.namespaces,
            &guards,
            read.lineage.take(),
        );
        memory::release_freed();
        self.ui.timing("link", started);
        if self.args.incremental {
            self.ui.timing_note("link", &how);
        }
        let second_pass = match self.probabilistic {
            true => {
                let started = Instant::now();
                let extracted = &mut read.snapshot.extracted;
                let (relinked, outcome) = second_pass(extracted, files, &self.settings, &clusters)?;
                clusters = relinked;
                self.ui.timing("probabilistic", started);
                Some(outcome)
            }
            false => None,
        };
        // Linked: nothing interns any more (`Interner::release_index`).
        read.snapshot.extracted.interner.release_index();
        memory::release_freed();
        Ok(Linked {
            clusters,
            carried_records,
            second_pass,
        })
    }

    /// *profiles*: survivorship and default ids, per cluster. The clusters' roots are freed
    /// after (the profiles hold the grouping from then on).
    pub fn profiles(&self, extracted: &Extracted, clusters: &mut Clusters) -> Profiles {
        let started = Instant::now();
        let profiles = profile::build(extracted, clusters);
        clusters.release_roots();
        memory::release_freed();
        self.ui.timing("profiles", started);
        profiles
    }

    /// *ids*: with `--state`, the previous run's ids carried forward and the change log.
    pub fn ids(
        &self,
        session: Option<&Session>,
        extracted: &Extracted,
        profiles: &mut Profiles,
    ) -> Option<CarriedIds> {
        let started = Instant::now();
        let ids = session?.carry(extracted, profiles);
        self.ui.timing("ids", started);
        Some(ids)
    }

    /// An incremental run copies the rows of untouched people from the previous tables.
    pub fn reuse_plan(
        &self,
        previous: Option<reuse::Pending>,
        read: &Read,
        linked: &Linked,
        profiles: &Profiles,
    ) -> Option<Reuse> {
        if self.args.format == TableFormat::Parquet {
            return None; // rows are copied from CSV tables only: written afresh
        }
        let started = Instant::now();
        let sources = read.saved_sources.as_ref()?;
        let carried = linked.carried_records.as_deref()?;
        let records = &read.snapshot.extracted.records;
        let plan = reuse::plan(previous?, sources, carried, records, profiles);
        self.ui.timing("reuse-plan", started);
        plan
    }

    /// *report* and *write*: the report is computed beside the table writing (it reads what
    /// the tables read, and fills the time the writers wait on the disk); then the files
    /// that depend on the state or the probabilistic pass, and report.json and report.html.
    pub fn report_and_tables(
        &self,
        out: &mut OutDir,
        session: Option<&Session>,
        made: &Made,
        files: &[InputFile],
        reuse: Option<&Reuse>,
    ) -> anyhow::Result<(Report, RunMetrics, Vec<TableStamp>)> {
        let format = self.args.format;
        let escape = format::table_escape(format, self.settings.csv_escape);
        let table_files = tables::TableFiles::open(out, escape)?;
        let contacts = crate::output::contacts::open(out)?;
        // Three at once: the report, the main tables, and contacts.csv (whose evidence walks
        // every profile's records: on its own it would leave a core idle while the tables wait
        // on the disk).
        let ((mut report, metrics), (stamps, contacts)) = rayon::join(
            || self.report(session, made),
            || {
                rayon::join(
                    || {
                        tables::write_opened(
                            table_files,
                            made.extracted,
                            &made.linked.clusters,
                            made.profiles,
                            reuse,
                        )
                    },
                    || {
                        let (extracted, profiles) = (made.extracted, made.profiles);
                        crate::output::contacts::write_to(contacts, escape, extracted, profiles)
                    },
                )
            },
        );
        let mut stamps = stamps?;
        contacts?;
        if format == TableFormat::Parquet {
            format::convert_tables(out)?;
            stamps.clear(); // nothing for the next run to copy rows from
        }
        if let Some(ids) = made.ids {
            crate::output::changes::write_changes(out, &ids.carried.changes)?;
            crate::output::changes::write_redirects(out, &ids.carried.redirects)?;
        }
        if let Some(outcome) = &made.linked.second_pass {
            crate::output::probabilistic::write_links(out, made.extracted, &outcome.links)?;
        }
        self.no_identifier_hints(&mut report, made.extracted, files)?;
        write_json(out, "report.json", &report)?;
        write_text(out, "report.html", &report::html::render(&report))?;
        Ok((report, metrics, stamps))
    }

    /// The report's figures, and the run's metrics as the state keeps them.
    fn report(&self, session: Option<&Session>, made: &Made) -> (Report, RunMetrics) {
        let started = Instant::now();
        let extracted = made.extracted;
        // The campaign metrics (issue 18) walk the profiles' records on their own: beside the
        // other sections, on whichever thread is free.
        let (mut report, campaign) = rayon::join(
            || {
                let clusters = &made.linked.clusters;
                report::compute(extracted, clusters, made.profiles, &self.settings.guards)
            },
            || report::campaign::compute(extracted, made.profiles, &self.settings.campaign()),
        );
        report.campaign = campaign;
        report.csv_escape = self.settings.csv_escape;
        let second_pass = made.linked.second_pass.as_ref();
        report.probabilistic = second_pass.map(|o| o.summary.clone());
        let metrics = RunMetrics::of(&report);
        if let (Some(session), Some(ids)) = (session, made.ids) {
            report.since_previous = session.since_previous(ids, self.args.incremental, &metrics);
        }
        self.ui.timing("report", started);
        (report, metrics)
    }

    /// Issue 15: a file that links nobody is told about a shared id column, if one is found
    /// (full runs only: an incremental run is given the new files alone). With the
    /// probabilistic pass a file of names links through them (issue 20): not reported.
    fn no_identifier_hints(
        &self,
        report: &mut Report,
        extracted: &Extracted,
        files: &[InputFile],
    ) -> anyhow::Result<()> {
        let files = if self.args.incremental { &[] } else { files };
        for (i, hint) in extract::no_identifier_hints(files, &extracted.sources)? {
            let linked_by_names = self.probabilistic && extracted.sources[i].has_person_name();
            report.sources[i].no_identifier = (!linked_by_names).then_some(hint);
        }
        Ok(())
    }

    /// What the state saves of this run.
    pub fn outcome<'p>(
        &'p self,
        profiles: &'p Profiles,
        clusters: Clusters,
        metrics: RunMetrics,
        tables: Vec<TableStamp>,
    ) -> Outcome<'p> {
        Outcome {
            profiles,
            clusters,
            metrics,
            out_dir: &self.args.out,
            tables,
        }
    }
}

/// The probabilistic pass (issue 20): scores what the exact pass left apart, hands the accepted
/// links to the linker as identifiers of their own and links again under the same guards.
/// Gives the new clusters and the pass's outcome.
fn second_pass(
    extracted: &mut Extracted,
    files: &[InputFile],
    settings: &Settings,
    clusters: &Clusters,
) -> anyhow::Result<(Clusters, crate::fuzzy::Outcome)> {
    let mut outcome = crate::fuzzy::run(
        extracted,
        files,
        clusters,
        &settings.matching,
        &settings.guards,
    )?;
    outcome.summary.records_placed = crate::fuzzy::apply(extracted, &outcome.links);
    // The caps, generic values and alarms apply as to any identifier; the name check was
    // applied per pair by the pass itself (`fuzzy::score`), which knows the given names.
    let clusters = graph::link(
        &extracted.records,
        &extracted.interner,
        &extracted.namespaces,
        &settings.guards,
    );
    Ok((clusters, outcome))
}
