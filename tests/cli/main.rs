//! Integration tests: run the real `omni` binary in a fresh temporary directory.
//!
//! One test binary (Cargo discovers `tests/cli/main.rs`); each module covers one concern.

// The accuracy test reports its measured figures on stderr.
#![allow(clippy::print_stderr)]

mod accuracy; // pairwise precision/recall against the generator's ground truth
mod architecture; // the import rules of docs/pipeline.md, checked on src/
mod bad_input; // broken and awkward files: messages, exit codes, rejects
mod bad_input_2; // issue 16A: Parquet types, pipes, --threads, stdout write errors, folder rules
mod bad_input_2b; // issue 16 part B: out dir safety, formulas, PII in messages, big reports
mod campaign; // issue 18: LTV, retention, ROPO, cross-channel, multi-channel vs the inputs
mod edge_battery; // issue 7: the full battery of broken inputs, limits, --strict, accounting
mod exit_codes; // one test per exit code
mod explain; // omni explain
mod export; // omni export: send lists, cascade, audiences, segments (issue 18)
mod formats; // issue 17: --format parquet, the readers of a Parquet out dir, incremental
mod guards; // over-merge guards: generic identifiers, name check, caps
mod incremental; // --incremental equals a full run, night after night, guard by guard
mod inspect; // `omni inspect` and --write-config
mod merge; // `omni merge` on the bundled sample: outputs, accounting, determinism
mod normalize; // `omni normalize`
mod probabilistic; // --match probabilistic (issue 20)
mod report; // `omni report`, report.html, the transactions metrics
mod stage; // issue 17: omni stage (the Spark job's steps) equals omni merge
mod state; // --state: stable ids, changes, incremental, crash safety, lock
mod zero_config; // issue 15: phones as people write them, the name check, files without ids

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary working directory with helpers to copy test data in and run `omni` there.
pub struct CliTest {
    dir: tempfile::TempDir,
}

impl CliTest {
    /// A fresh, empty working directory.
    #[allow(clippy::new_without_default)]
    pub fn new() -> CliTest {
        CliTest {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Copies `testdata/<from>` (file or folder) to `<workdir>/<to>`.
    pub fn copy(&self, from: &str, to: &str) -> &CliTest {
        let src = repo_path("testdata").join(from);
        let dst = self.path().join(to);
        copy_recursively(&src, &dst);
        self
    }

    /// Writes a file in the working directory.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &CliTest {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Writes `in/`: two files that share a customer and a store list without any identifier
    /// (a file that links nobody, issue 15).
    pub fn write_inputs_with_a_file_that_links_nobody(&self) -> &CliTest {
        self.write(
            "in/web.csv",
            "email,name\nann@mail.ru,Ann Lee\nbob@mail.ru,Bob Stone\n",
        );
        self.write("in/app.csv", "email,name\nann@mail.ru,Ann Lee\n");
        self.write(
            "in/stores.csv",
            "store,city,Phone\nMSK-1,Moscow,call us\nEKB-2,Yekaterinburg,ask at the desk\n",
        )
    }

    /// Reads a file from the working directory as text.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name))
            .unwrap_or_else(|e| panic!("reading {name}: {e}"))
    }

    /// An `omni` command running in the working directory with a clean environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_omni"));
        cmd.current_dir(self.path())
            .env_clear()
            .env("NO_COLOR", "1");
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd
    }

    /// Runs `omni` with `args` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("running omni")
    }
}

/// A path inside the repository.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn copy_recursively(src: &Path, dst: &Path) {
    if src.is_dir() {
        std::fs::create_dir_all(dst).unwrap();
        for entry in std::fs::read_dir(src).unwrap() {
            let entry = entry.unwrap();
            copy_recursively(&entry.path(), &dst.join(entry.file_name()));
        }
    } else {
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::copy(src, dst).unwrap_or_else(|e| panic!("copying {}: {e}", src.display()));
    }
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing stdout and stderr on failure.
#[track_caller]
pub fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Parses a CSV text into rows of fields (header included).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    rdr.records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// A repository file as text.
pub fn repo_path_text(relative: &str) -> String {
    std::fs::read_to_string(repo_path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}
