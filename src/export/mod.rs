//! `omni export`: from golden profiles to what campaigns use.
//!
//! Takes a merge's out dir ([`outdir`]), the segment conditions ([`filter`]), suppression
//! lists ([`suppress`]) and `[export]` settings ([`settings`]); writes into a folder:
//!
//! | file | content |
//! |---|---|
//! | `send/<channel>.csv` | one row per profile the channel reaches, with its best contact ([`contacts`]) |
//! | `cascade.csv` | per profile, the first reachable channel of the cascade and the fallbacks ([`lists`]) |
//! | `audiences/*` | hashed upload files for Google Ads, Meta, Yandex Audiences, VK Ads ([`audiences`]) |
//!
//! and returns an [`ExportSummary`] for `ui` to print. Nothing here prints, and the inputs of
//! the merge are never read. Each file is written to a temporary name and renamed when whole.

pub mod audiences;
pub mod contacts;
pub mod filter;
pub mod lists;
pub mod outdir;
pub mod settings;
pub mod suppress;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::Context;

use audiences::AudienceCount;
use filter::Filter;
use lists::{CascadeCount, ListCount};
use outdir::{Evidence, ExportProfile, Loaded};
use settings::ExportSettings;
use suppress::Suppression;

/// What was exported, for the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportSummary {
    /// The folder written.
    pub dir: PathBuf,
    /// Profiles in the out dir.
    pub profiles: u64,
    /// Of them, in the segment.
    pub selected: u64,
    /// Distinct suppressed values, and cells of the lists that were no email or phone.
    pub suppressed: (u64, u64),
    /// Rows per send list, in channel order.
    pub lists: Vec<ListCount>,
    /// The cascade's counts.
    pub cascade: CascadeCount,
    /// Rows per audience file.
    pub audiences: Vec<AudienceCount>,
    /// True when contacts were ranked by their last-seen dates (`contacts.csv` was read).
    pub dated: bool,
}

/// What one export needs besides the out dir.
pub struct Job<'a> {
    /// Segment conditions, all required.
    pub filters: &'a [Filter],
    /// Values never exported.
    pub suppression: &'a Suppression,
    /// Channels and cascade.
    pub settings: &'a ExportSettings,
    /// The folder to write.
    pub dir: &'a Path,
}

/// Writes every export file for the profiles the filters keep.
pub fn export(loaded: &Loaded, job: &Job) -> anyhow::Result<ExportSummary> {
    let selected: Vec<&ExportProfile> = loaded
        .profiles
        .iter()
        .filter(|p| job.filters.iter().all(|f| f.keeps(p)))
        .collect();
    let evidence = &loaded.evidence;
    let mut summary = ExportSummary {
        dir: job.dir.to_path_buf(),
        profiles: loaded.profiles.len() as u64,
        selected: selected.len() as u64,
        suppressed: (job.suppression.len() as u64, job.suppression.skipped),
        dated: evidence.dated,
        ..ExportSummary::default()
    };
    for channel in &job.settings.channels {
        let path = job.dir.join("send").join(format!("{}.csv", channel.name));
        let count = write_file(&path, |w| {
            lists::write_send_list(w, channel, &selected, evidence, job.suppression)
        })?;
        summary.lists.push(count);
    }
    summary.cascade = write_file(&job.dir.join("cascade.csv"), |w| {
        lists::write_cascade(w, job.settings, &selected, evidence, job.suppression)
    })?;
    summary.audiences = write_audiences(job, &selected, evidence)?;
    Ok(summary)
}

fn write_audiences(
    job: &Job,
    selected: &[&ExportProfile],
    evidence: &Evidence,
) -> anyhow::Result<Vec<AudienceCount>> {
    let dir = job.dir.join("audiences");
    let mut counts = Vec::new();
    for audience in &audiences::platforms::AUDIENCES {
        let rows = write_file(&dir.join(audience.file), |w| {
            audience.write(w, selected, evidence, job.suppression)
        })?;
        counts.push(AudienceCount {
            file: audience.file.to_owned(),
            rows,
        });
    }
    Ok(counts)
}

/// Writes `path` through `fill` into a temporary sibling, renamed over `path` when `fill`
/// succeeded, so a reader never sees half a file.
fn write_file<T>(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let parent = path.parent().expect("export files live in a folder");
    std::fs::create_dir_all(parent)
        .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
    let name = path.file_name().expect("a file name").to_string_lossy();
    let temporary = parent.join(format!(".{name}.partial"));
    let file = File::create(&temporary)
        .with_context(|| format!("{}: cannot create", temporary.display()))?;
    let mut w = BufWriter::new(file);
    let value = fill(&mut w).with_context(|| format!("{}: cannot write", path.display()))?;
    w.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("{}: cannot rename into place", path.display()))?;
    Ok(value)
}
