//! Generates seeded synthetic channel exports and their ground truth with `omni::synth`.
//!
//! In: a people count and a seed (or `--preset sample`, or `--preset international` for the
//! plain UTF-8, 40%-foreign set of issue 19). Out: the five export files in `--out`,
//! the truth CSV at `--truth`, and the generation summary as JSON on stdout. It does not run omni
//! or score anything; `scripts/bench.sh` and the tests do that.
//!
//! ```text
//! cargo run --release --example gen -- --people 1000000 --seed 42 --out bench-data/1m --truth bench-data/1m.truth.csv
//! cargo run --example gen -- --preset sample --out testdata/sample --truth testdata/sample-truth.csv
//! cargo run --release --example gen -- --preset international --people 1000000 --out bench-data/i1m --truth bench-data/i1m.truth.csv
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use omni::synth::{self, SynthConfig};

/// Writes synthetic customer exports (web shop, app, loyalty, POS, email list) with ground truth.
#[derive(Debug, Parser)]
struct Args {
    /// Real people to generate (ignored with `--preset sample`).
    #[arg(long, default_value_t = 100_000)]
    people: usize,
    /// Seed; the same seed gives the same files [default: 42, or the preset's].
    #[arg(long)]
    seed: Option<u64>,
    /// Named configuration; `sample` overrides `--people`, every preset `--seed` unless given.
    #[arg(long, value_enum)]
    preset: Option<Preset>,
    /// Folder for the five export files (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Path of the truth CSV; keep it outside `--out`, since omni reads every file there.
    #[arg(long)]
    truth: PathBuf,
}

/// Named configurations.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Preset {
    /// The bundled `testdata/sample`: 70 people with every hard case present.
    Sample,
    /// `--people` people as plain UTF-8 CSV, 40% outside Russia, phones in every written form
    /// (the benchmark's second set).
    International,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut cfg = match args.preset {
        Some(Preset::Sample) => SynthConfig::sample(),
        Some(Preset::International) => SynthConfig::international(args.people, 42),
        None => SynthConfig::new(args.people, 42),
    };
    cfg.seed = args.seed.unwrap_or(cfg.seed);
    anyhow::ensure!(
        !args.truth.starts_with(&args.out),
        "--truth must be outside --out: omni reads every file in {}",
        args.out.display()
    );
    let started = Instant::now();
    let summary = synth::generate(&cfg, &args.out, &args.truth)?;
    eprintln!(
        "generated {} people in {:.2?}",
        cfg.people,
        started.elapsed()
    );
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
