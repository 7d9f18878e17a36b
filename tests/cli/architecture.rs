//! The import rules of docs/pipeline.md, checked on the source: every path a file names
//! (`use crate::x::...`, `use crate::{x, y}`, `crate::x::f()`, `super::super::x`) is resolved
//! to the top-level module it reaches, and a module may not reach what its rule forbids. The
//! rules live in [`RULES`]; docs/pipeline.md quotes the same table (checked below).

use std::path::{Path, PathBuf};

use crate::repo_path;

/// One import rule: files under `under` may not reach the top-level module `forbidden`
/// (a name of `src/`); `except` lists files under `under` the rule does not cover.
struct Rule {
    under: &'static str,
    forbidden: &'static str,
    except: &'static [&'static str],
    why: &'static str,
}

/// The rules, as docs/pipeline.md lists them.
const RULES: &[Rule] = &[
    Rule {
        under: "src/output",
        forbidden: "state",
        except: &[],
        why: "outputs take plain data; the state stores outputs' stamps, not the reverse",
    },
    Rule {
        under: "src/report",
        forbidden: "state",
        except: &[],
        why: "the report takes plain data (RunMetrics and the change log are report/profile types)",
    },
    Rule {
        under: "src/report",
        forbidden: "input",
        except: &[],
        why: "the report reads extracted records, not how columns were detected",
    },
    Rule {
        under: "src",
        forbidden: "ui",
        except: &["src/ui", "src/commands", "src/lib.rs", "src/main.rs"],
        why: "only commands print: stages return data and report progress through `progress`",
    },
    Rule {
        under: "src",
        forbidden: "commands",
        except: &["src/commands", "src/lib.rs", "src/main.rs", "src/export"],
        why: "stages never call back into the orchestration",
    },
];

/// A broken rule: the file, its line, the path named and the module it reaches.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    path: String,
}

#[test]
fn no_module_imports_what_its_rule_forbids() {
    let root = repo_path("");
    let mut broken = Vec::new();
    for file in rust_files(&root.join("src")) {
        let relative = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap();
        broken.extend(violations(&relative, &text));
    }
    assert!(
        broken.is_empty(),
        "forbidden imports (docs/pipeline.md):\n{broken:#?}"
    );
}

#[test]
fn the_checker_sees_every_form_of_path() {
    let bad = [
        "use crate::state::Redirect;",
        "use crate::{graph, state};",
        "use crate::{graph::{self, NONE}, state::stable::{self, Carried}};",
        "fn f() { crate::state::sync_dir(p); }",
        "use super::super::state::Meta;",
        "use crate :: state :: Meta;",
    ];
    for text in bad {
        let found = violations("src/output/reuse.rs", text);
        assert!(!found.is_empty(), "{text}: not seen");
        assert!(
            found.iter().all(|v| v.path.contains("state")),
            "{text}: {found:?}"
        );
    }
    let ui = violations("src/extract/mod.rs", "fn extract(ui: &Ui) {}");
    assert_eq!(ui.len(), 1, "{ui:?}");
    assert_eq!(
        violations("src/report/x.rs", "use crate::input::detect::Role;").len(),
        1
    );
    // Comments, strings, other modules' `state` fields, and allowed modules are fine.
    let fine = [
        "// use crate::state::Meta;",
        "/* crate::state */ let s = \"crate::state::x\";",
        "let state = self.state.clone(); use crate::graph::NONE;",
        "use super::OutDir;",
    ];
    for text in fine {
        assert_eq!(violations("src/output/reuse.rs", text), vec![], "{text}");
    }
    assert_eq!(
        violations("src/commands/merge/mod.rs", "use crate::ui::Ui;"),
        vec![]
    );
    assert_eq!(
        violations("src/state/mod.rs", "use crate::output::reuse;"),
        vec![]
    );
}

#[test]
fn the_docs_quote_every_rule() {
    let docs = std::fs::read_to_string(repo_path("docs/pipeline.md")).unwrap();
    for rule in RULES {
        let row = format!("| `{}` | `crate::{}` |", rule.under, rule.forbidden);
        assert!(
            docs.contains(&row),
            "docs/pipeline.md lacks the rule row starting {row}"
        );
        assert!(
            docs.contains(rule.why),
            "docs/pipeline.md lacks the reason: {}",
            rule.why
        );
    }
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The rules `file` (a path like `src/output/reuse.rs`) breaks in `text`.
fn violations(file: &str, text: &str) -> Vec<Violation> {
    let rules: Vec<&Rule> = RULES
        .iter()
        .filter(|r| covered(file, r.under) && !r.except.iter().any(|e| covered(file, e)))
        .collect();
    let code = strip_comments_and_strings(text);
    let module = module_of(file);
    let mut found = Vec::new();
    for (offset, path) in paths(&code) {
        let line = code[..offset].matches('\n').count() + 1;
        let reached = reach(&module, &path);
        let is_ui_type = path.last().is_some_and(|s| s == "Ui");
        for rule in &rules {
            let hits = reached.as_deref() == Some(rule.forbidden)
                || (rule.forbidden == "ui" && is_ui_type);
            if hits {
                found.push(Violation {
                    file: file.to_owned(),
                    line,
                    path: path.join("::"),
                });
            }
        }
    }
    found
}

/// Whether `file` is `prefix` or inside it.
fn covered(file: &str, prefix: &str) -> bool {
    file == prefix || file.starts_with(&format!("{prefix}/"))
}

/// The module path of a file: `src/output/reuse.rs` → `[output, reuse]`, `src/output/mod.rs`
/// → `[output]`, `src/lib.rs` → `[]`.
fn module_of(file: &str) -> Vec<String> {
    let inner = file.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The top-level module a path reaches from `module`: `crate::x::..` → x; `super::..` and
/// `self::..` resolved from the file's module; `None` for paths outside the crate.
fn reach(module: &[String], path: &[String]) -> Option<String> {
    let mut at: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("super" | "self") => module.to_vec(),
        _ => return None,
    };
    let mut rest = if path[0] == "crate" { &path[1..] } else { path };
    while let Some(first) = rest.first() {
        match first.as_str() {
            "super" => {
                at.pop();
            }
            "self" => {}
            _ => break,
        }
        rest = &rest[1..];
    }
    at.extend(rest.iter().cloned());
    at.first().cloned()
}

/// Every path in `code` that starts with `crate`, `super` or `self`, with its byte offset;
/// `use` groups (`use crate::{a, b::{c}}`) are expanded into one path per leaf. A lone `Ui`
/// counts as the path `[Ui]`.
fn paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let tokens = tokenize(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (offset, token) = &tokens[i];
        if matches!(token.as_str(), "crate" | "super" | "self" | "Ui")
            && (i == 0 || tokens[i - 1].1 != "::")
        {
            let mut prefix = Vec::new();
            let end = expand(&tokens, i, &mut prefix, &mut |p| out.push((*offset, p)));
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Reads one path or use-tree starting at token `i` (after `prefix`), giving each full path
/// to `emit`; returns the index after it.
fn expand(
    tokens: &[(usize, String)],
    mut i: usize,
    prefix: &mut Vec<String>,
    emit: &mut dyn FnMut(Vec<String>),
) -> usize {
    let depth = prefix.len();
    loop {
        match tokens.get(i).map(|t| t.1.as_str()) {
            Some("{") => {
                i += 1;
                loop {
                    if tokens.get(i).map(|t| t.1.as_str()) == Some("}") {
                        i += 1;
                        break;
                    }
                    let next = expand(tokens, i, prefix, emit);
                    if next == i {
                        break;
                    }
                    i = next;
                    match tokens.get(i).map(|t| t.1.as_str()) {
                        Some(",") => i += 1,
                        Some("}") => {
                            i += 1;
                            break;
                        }
                        _ => break,
                    }
                }
                prefix.truncate(depth);
                return i;
            }
            Some(word) if is_ident(word) => {
                prefix.push(word.to_owned());
                i += 1;
                if tokens.get(i).map(|t| t.1.as_str()) == Some("::") {
                    i += 1;
                    continue;
                }
                emit(prefix.clone());
                prefix.truncate(depth);
                return i;
            }
            _ => {
                if prefix.len() > depth {
                    emit(prefix.clone());
                }
                prefix.truncate(depth);
                return i;
            }
        }
    }
}

fn is_ident(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && word.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::` and single punctuation characters, with their byte offsets.
fn tokenize(code: &str) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push((start, code[start..i].to_owned()));
        } else if c == b':' && bytes.get(i + 1) == Some(&b':') {
            tokens.push((i, "::".to_owned()));
            i += 2;
        } else if c.is_ascii_whitespace() || !c.is_ascii() {
            i += 1;
        } else {
            tokens.push((i, (c as char).to_string()));
            i += 1;
        }
    }
    tokens
}

/// `code` with comments and string and char literals blanked (newlines kept, so line numbers
/// hold). Raw strings `r"..."` and `r#"..."#` are blanked too.
fn strip_comments_and_strings(code: &str) -> String {
    let bytes = code.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let end = if rest.starts_with(b"//") {
            i + rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            i + 2 + find(&rest[2..], b"*/").map_or(rest.len() - 2, |p| p + 2)
        } else if rest.starts_with(b"r#\"") || rest.starts_with(b"r\"") {
            let hashes = rest[1..].iter().take_while(|&&b| b == b'#').count();
            let close: Vec<u8> = std::iter::once(b'"').chain(vec![b'#'; hashes]).collect();
            let body = 2 + hashes;
            i + body + find(&rest[body..], &close).map_or(rest.len() - body, |p| p + close.len())
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            i + (j + 1).min(rest.len())
        } else if rest[0] == b'\'' && is_char_literal(rest) {
            i + rest[1..]
                .iter()
                .skip(1)
                .position(|&b| b == b'\'')
                .map_or(1, |p| p + 3)
        } else {
            i += 1;
            continue;
        };
        blank(&mut out, i, end);
        i = end.max(i + 1);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `'x'` or `'\n'` literal, not a lifetime `'a`.
fn is_char_literal(rest: &[u8]) -> bool {
    match rest.get(1) {
        Some(b'\\') => true,
        Some(_) => rest[1..].iter().skip(1).take(4).any(|&b| b == b'\''),
        None => false,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
