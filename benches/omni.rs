//! Micro-benchmarks of omni's hot stages, each reporting elements (values, keys, edges or
//! records) per second. `scripts/bench.sh` measures the whole binary against peers; these
//! isolate one stage so a change to it can be judged on its own.
//!
//! ```text
//! cargo bench --bench omni                      # everything
//! cargo bench --bench omni -- normalize/phone   # one group (a regex filter)
//! ```
//!
//! The inputs are generated here with a fixed seed (normalizers, interning, union-find) or by
//! `omni::synth` (the pipeline), so runs are comparable across commits. The benches use only the
//! library's public API and stay thin, so API changes are cheap to follow.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use omni::config::Settings;
use omni::graph::guards::GuardSettings;
use omni::graph::intern::Interner;
use omni::graph::union_find::UnionFind;
use omni::normalize::Normalizers;
use omni::normalize::card::{CardNormalizer, CardRules};
use omni::normalize::email::{EmailNormalizer, EmailRules};
use omni::normalize::phone::PhoneNormalizer;
use omni::synth::rng::Rng;
use omni::{extract, graph, profile, synth};

/// The seed of every input stream, so every run sees the same inputs.
const BENCH_SEED: u64 = 42;

/// Values per normalizer batch.
const VALUES: usize = 20_000;

/// Emails as exports hold them: mixed case, spaces, provider aliases (gmail dots and `+tag`,
/// googlemail, yandex domains) and plain ones.
fn emails(n: usize) -> Vec<String> {
    let mut rng = Rng::stream(BENCH_SEED, 1, 0);
    let domains = [
        "mail.ru",
        "gmail.com",
        "yandex.ru",
        "outlook.com",
        "list.ru",
    ];
    (0..n)
        .map(|i| {
            let user = format!("ivan.petrov{}", rng.below(1_000_000));
            match i % 5 {
                0 => format!("{user}@{}", domains[i % domains.len()]),
                1 => format!("  {}@Gmail.com ", user.to_uppercase()),
                2 => format!("{user}+shop@gmail.com"),
                3 => format!("{user}@googlemail.com"),
                _ => format!("{user}@ya.ru"),
            }
        })
        .collect()
}

/// Phones in the shapes the fast path takes: RU and US digits with separators, `8` trunk prefix,
/// `+7`/`+1`, bare 10 digits.
fn fast_phones(n: usize) -> Vec<String> {
    let mut rng = Rng::stream(BENCH_SEED, 2, 0);
    (0..n)
        .map(|i| {
            let sub = rng.below(10_000_000);
            match i % 4 {
                0 => format!(
                    "+7 916 {:03}-{:02}-{:02}",
                    sub / 10_000,
                    sub / 100 % 100,
                    sub % 100
                ),
                1 => format!("8(926){sub:07}"),
                2 => format!("903{sub:07}"),
                _ => format!("+1 206-{:03}-{:04}", 200 + sub % 800, sub % 10_000),
            }
        })
        .collect()
}

/// Phones the fast path leaves to libphonenumber: other countries, spreadsheet floats, and
/// numbers with an extension.
fn slow_phones(n: usize) -> Vec<String> {
    let mut rng = Rng::stream(BENCH_SEED, 3, 0);
    (0..n)
        .map(|i| {
            let sub = rng.below(10_000_000);
            match i % 4 {
                0 => format!("+49 162 {sub:07}"),
                1 => format!("+44 7700 {:06}", sub % 1_000_000),
                2 => format!("7.916{sub:07}E10"),
                _ => format!("+7 (495) {sub:07} доб. 12"),
            }
        })
        .collect()
}

/// Loyalty cards: zero-padded, separated, prefixed and spreadsheet-float shapes.
fn cards(n: usize) -> Vec<String> {
    let mut rng = Rng::stream(BENCH_SEED, 4, 0);
    (0..n)
        .map(|i| {
            let number = 10_000_000 + rng.below(90_000_000);
            match i % 4 {
                0 => format!("00{number}"),
                1 => format!("{}-{}", number / 10_000, number % 10_000),
                2 => format!("CARD №{number}"),
                _ => format!("{number}.0"),
            }
        })
        .collect()
}

fn normalizers(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize");
    group.throughput(criterion::Throughput::Elements(VALUES as u64));

    let email = EmailNormalizer::new(EmailRules::default());
    let values = emails(VALUES);
    group.bench_function("email", |b| {
        b.iter(|| {
            for v in &values {
                black_box(email.normalize(black_box(v)).ok());
            }
        })
    });

    let phone = PhoneNormalizer::new(Some("RU")).expect("RU is a region");
    for (name, values) in [
        ("phone/fast_path_shapes", fast_phones(VALUES)),
        ("phone/library_shapes", slow_phones(VALUES)),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                for v in &values {
                    black_box(phone.normalize(black_box(v), None).ok());
                }
            })
        });
    }

    let card = CardNormalizer::new(CardRules::default());
    let values = cards(VALUES);
    group.bench_function("card", |b| {
        b.iter(|| {
            for v in &values {
                black_box(card.normalize(black_box(v)).ok());
            }
        })
    });

    // The whole per-cell entry point (trim, placeholder and blocklist checks, then the kind).
    let all = Normalizers::new(&Settings::default()).expect("default settings are valid");
    let values = fast_phones(VALUES);
    group.bench_function("phone/with_blocklist", |b| {
        b.iter(|| {
            for v in &values {
                black_box(all.normalize(omni::normalize::Kind::Phone, black_box(v), Some("RU")));
            }
        })
    });
    group.finish();
}

fn interning(c: &mut Criterion) {
    let mut group = c.benchmark_group("intern");
    // About half the keys repeat, as identifiers do across channels.
    for keys in [100_000usize, 1_000_000] {
        let mut rng = Rng::stream(BENCH_SEED, 5, 0);
        let values: Vec<String> = (0..keys)
            .map(|_| format!("+7916{:07}", rng.below(keys as u64 / 2 + 1)))
            .collect();
        group.throughput(Throughput::Elements(keys as u64));
        group.bench_with_input(BenchmarkId::from_parameter(keys), &values, |b, values| {
            b.iter(|| {
                let mut interner = Interner::new();
                for (i, v) in values.iter().enumerate() {
                    black_box(interner.intern((i % 3) as u16, v));
                }
                interner
            })
        });
    }
    group.finish();
}

fn union_find(c: &mut Criterion) {
    let mut group = c.benchmark_group("union_find");
    // A record–identifier graph shaped like the generated data: each record carries one to
    // three identifiers, mostly near the record in first-seen order, sometimes far away.
    for records in [1_000_000usize, 10_000_000] {
        let mut rng = Rng::stream(BENCH_SEED, 6, 0);
        let identifiers = records / 2;
        let mut edges = Vec::with_capacity(records * 2);
        for r in 0..records {
            for _ in 0..1 + rng.below(3) {
                let near = (r / 2 + rng.below(64) as usize).min(identifiers - 1);
                let id = if rng.below(8) == 0 {
                    rng.below(identifiers as u64) as usize
                } else {
                    near
                };
                edges.push((r as u32, (records + id) as u32));
            }
        }
        group.throughput(Throughput::Elements(edges.len() as u64));
        group.sample_size(10);
        group.bench_with_input(BenchmarkId::from_parameter(records), &edges, |b, edges| {
            b.iter(|| {
                let mut uf = UnionFind::new(records + identifiers);
                for &(a, x) in edges {
                    uf.union(a, x);
                }
                uf.into_roots()
            })
        });
    }
    group.finish();
}

/// The generated exports for the pipeline bench, in a temporary folder kept for the run.
struct Exports {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    records: u64,
}

fn exports(people: usize) -> Exports {
    let dir = tempfile::tempdir().expect("temporary folder");
    let folder = dir.path().join("exports");
    let summary = synth::generate(
        &synth::SynthConfig::new(people, 42),
        &folder,
        &dir.path().join("truth.csv"),
    )
    .expect("generated exports");
    Exports {
        _dir: dir,
        folder,
        records: summary.truth_rows,
    }
}

fn pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    let data = exports(20_000);
    group.throughput(Throughput::Elements(data.records));
    let ui = omni::ui::Ui::new(
        true,
        omni::cli::ColorChoice::Never,
        omni::cli::ProgressChoice::Never,
    );
    let guards_off = GuardSettings {
        generic_names: 0,
        generic_groups: 0,
        name_check: Vec::new(),
        ..GuardSettings::default()
    };
    for (name, guards) in [
        ("guards_on", GuardSettings::default()),
        ("guards_off", guards_off),
    ] {
        let settings = Settings {
            guards,
            ..Settings::default()
        };
        let normalizers = Normalizers::new(&settings).expect("default settings are valid");
        let (files, _) =
            extract::resolve_inputs(std::slice::from_ref(&data.folder), &settings).expect("inputs");
        // Reading and normalizing, then linking and profiles on what was read.
        group.bench_function(BenchmarkId::new("extract", name), |b| {
            b.iter(|| extract::extract(&files, &normalizers, &ui).expect("extract"))
        });
        let extracted = extract::extract(&files, &normalizers, &ui).expect("extract");
        group.bench_function(BenchmarkId::new("link+profiles", name), |b| {
            b.iter(|| {
                let clusters = graph::link(
                    &extracted.records,
                    &extracted.interner,
                    &extracted.namespaces,
                    &settings.guards,
                );
                let profiles = profile::build(&extracted, &clusters);
                (clusters, profiles)
            })
        });
        group.bench_function(BenchmarkId::new("extract+link+profiles", name), |b| {
            b.iter(|| {
                let extracted = extract::extract(&files, &normalizers, &ui).expect("extract");
                let clusters = graph::link(
                    &extracted.records,
                    &extracted.interner,
                    &extracted.namespaces,
                    &settings.guards,
                );
                let profiles = profile::build(&extracted, &clusters);
                (extracted, clusters, profiles)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, normalizers, interning, union_find, pipeline);
criterion_main!(benches);
