//! What messages may show of customer data, and of the terminal's control characters.
//!
//! Without `--verbose`, messages hold no emails, phones or card numbers (cron keeps its logs).
//! Most messages never touch a value; the exception is a file whose first line is data read as
//! a header (a wrong `--delimiter`, a headerless file of card numbers): the column "names" then
//! are customer data, and the error listing them passes each through [`customer_data`], which
//! masks what looks like an email or a long number unless `--verbose` was given
//! ([`set_verbose`], called once by `Ui::with_verbose`; a process-wide switch because the
//! message is built deep in a stage, far from the `Ui`).
//!
//! [`terminal`] makes any text safe to print: control characters (escape sequences that could
//! rewrite the terminal, carriage returns that hide a line) and invisible format characters
//! (bidi overrides such as U+202E, zero-width spaces) from file names and cells are written as
//! `\uXXXX`, which reads the same in a terminal and is a valid escape inside JSON strings.
//! Newlines and tabs stay.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--verbose`: messages may show customer data.
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Records whether messages may show customer data (`--verbose`).
pub fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

/// Whether `--verbose` was given.
pub fn is_verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// `text` with what looks like customer data masked, unless `--verbose`: the local part of an
/// email (`a***@mail.ru`) and the digits of a run of 6 or more digits (allowing the spaces,
/// dashes, dots, brackets and `+` of phone numbers) but its last two (`+*********67`).
pub fn customer_data(text: &str) -> Cow<'_, str> {
    if is_verbose() {
        return Cow::Borrowed(text);
    }
    mask(text)
}

/// Whether [`customer_data`] changes `text` (so a message can say that `--verbose` shows it).
pub fn would_mask(text: &str) -> bool {
    !is_verbose() && matches!(mask(text), Cow::Owned(_))
}

fn mask(text: &str) -> Cow<'_, str> {
    let emails = mask_email_locals(text);
    match mask_long_numbers(&emails) {
        Cow::Borrowed(_) => emails,
        Cow::Owned(masked) => Cow::Owned(masked),
    }
}

/// Characters that end the local part of an email when walking back from its `@`.
fn ends_local(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';' | '|' | '"' | '\'' | '<' | '>' | '(' | ')' | ':'
        )
}

fn mask_email_locals(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut hidden = vec![false; chars.len()];
    for (at, _) in chars.iter().enumerate().filter(|&(_, &c)| c == '@') {
        let start = chars[..at]
            .iter()
            .rposition(|&c| ends_local(c))
            .map_or(0, |p| p + 1);
        // The first character stays, so the reader can tell two addresses apart.
        for flag in hidden.iter_mut().take(at).skip(start + 1) {
            *flag = true;
        }
    }
    if !hidden.contains(&true) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if hidden[i] {
            out.push_str("***");
            while i < chars.len() && hidden[i] {
                i += 1;
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

fn mask_long_numbers(text: &str) -> Cow<'_, str> {
    const MIN_DIGITS: usize = 6;
    let chars: Vec<char> = text.chars().collect();
    let joins = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')' | '+');
    let mut out: Option<String> = None;
    let mut i = 0;
    let mut copied = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut digits = 0;
        while end < chars.len() && (chars[end].is_ascii_digit() || joins(chars[end])) {
            if chars[end].is_ascii_digit() {
                digits += 1;
                i = end + 1;
            }
            end += 1;
        }
        // The run ends at its last digit (trailing separators are not part of it).
        if digits >= MIN_DIGITS {
            let out = out.get_or_insert_with(String::new);
            out.extend(&chars[copied..start]);
            let mut left = digits;
            for &c in &chars[start..i] {
                if c.is_ascii_digit() {
                    left -= 1;
                    out.push(if left < 2 { c } else { '*' });
                } else {
                    out.push(c);
                }
            }
            copied = i;
        }
    }
    match out {
        Some(mut out) => {
            out.extend(&chars[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    }
}

/// Characters [`terminal`] writes as `\uXXXX`: controls other than newline and tab, and the
/// invisible format characters that reorder or hide text.
fn is_unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || crate::normalize::email::is_invisible_format(c)
}

/// `text` with every control character but newline and tab, and every invisible format
/// character, written as `\uXXXX` (see the module docs).
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe_for_terminal(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_phones_and_cards_are_masked() {
        for (text, masked) in [
            ("anna@mail.ru", "a***@mail.ru"),
            (
                "anna@mail.ru;+79161234567;4111111111111111",
                "a***@mail.ru;+*********67;**************11",
            ),
            ("+7 (916) 123-45-67", "+* (***) ***-**-67"),
            ("email", "email"),
            ("column 12345", "column 12345"),
            ("a@b.ru", "a@b.ru"),
        ] {
            assert_eq!(mask(text), masked, "{text}");
        }
    }

    #[test]
    fn control_and_bidi_characters_are_escaped_for_the_terminal() {
        assert_eq!(terminal("shop\u{1b}[2J.csv"), "shop\\u001b[2J.csv");
        assert_eq!(terminal("a\rb\u{7}"), "a\\u000db\\u0007");
        assert_eq!(terminal("evil\u{202e}vsc.exe"), "evil\\u202evsc.exe");
        assert_eq!(terminal("x\u{9b}y"), "x\\u009by");
        assert_eq!(terminal("line\n\tok"), "line\n\tok");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        let json = format!("{{\"name\": \"{}\"}}", terminal("a\u{202e}\u{7f}b"));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value["name"], "a\u{202e}\u{7f}b",
            "the escape is valid JSON"
        );
    }
}
