//! The segment language of `omni export --where`: small conditions a marketer can read, the
//! same for every export kind.
//!
//! ```text
//! condition := or
//! or        := and ("or" and)*
//! and       := unary ("and" unary)*
//! unary     := "not" unary | atom
//! atom      := flag | field OP number | date_field OP YYYY-MM-DD | "source" ("=" | "!=") NAME
//! flag      := buyer | email | phone | card | reachable
//! field     := sources | records | purchases | revenue | emails | phones | cards
//! OP        := >= | <= | > | < | = | !=
//! ```
//!
//! Spaces around operators are optional (`sources >= 2` is `sources>=2`). Dates compare on the
//! day (`last_seen>=2026-01-01` keeps a profile last seen on 2026-01-01 at any hour); a profile
//! without a date fails every date comparison. Parsing errors name the condition and the word.

use anyhow::{anyhow, bail};

use super::outdir::ExportProfile;

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// It does not hold.
    Not(Box<Filter>),
    /// A flag (`buyer`, `email`, ...).
    Flag(Flag),
    /// A count or amount compared with a number.
    Number(Field, Op, f64),
    /// `first_seen` (false) or `last_seen` (true) compared with a day.
    Date(bool, Op, String),
    /// Present (`=`) or absent (`!=`) in a source.
    Source(bool, String),
}

/// A yes/no property of a profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Flag {
    /// At least one purchase.
    Buyer,
    /// Has an email.
    Email,
    /// Has a phone.
    Phone,
    /// Has a card.
    Card,
    /// Has an email or a phone.
    Reachable,
}

/// A number of a profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Field {
    /// Sources present.
    Sources,
    /// Records joined.
    Records,
    /// Purchases.
    Purchases,
    /// Sum of amounts.
    Revenue,
    /// Emails.
    Emails,
    /// Phones.
    Phones,
    /// Cards.
    Cards,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `=`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Op::Ge => a >= b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Lt => a < b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

impl Filter {
    /// Parses one `--where` condition.
    pub fn parse(text: &str) -> anyhow::Result<Filter> {
        let words = words(text);
        if words.is_empty() {
            bail!("--where '{text}': the condition is empty");
        }
        let mut pos = 0;
        let filter = parse_or(&words, &mut pos).map_err(|e| anyhow!("--where '{text}': {e}"))?;
        if pos < words.len() {
            bail!(
                "--where '{text}': unexpected '{}' (join conditions with `and` / `or`)",
                words[pos]
            );
        }
        Ok(filter)
    }

    /// [`Filter::parse`] for clap's `value_parser`: a bad condition is a usage error (exit 2).
    pub fn from_arg(text: &str) -> Result<Filter, String> {
        Filter::parse(text).map_err(|e| {
            let message = format!("{e:#}");
            let prefix = format!("--where '{text}': ");
            message.strip_prefix(&prefix).unwrap_or(&message).to_owned()
        })
    }

    /// Whether the profile is in the segment.
    pub fn keeps(&self, p: &ExportProfile) -> bool {
        match self {
            Filter::And(a, b) => a.keeps(p) && b.keeps(p),
            Filter::Or(a, b) => a.keeps(p) || b.keeps(p),
            Filter::Not(a) => !a.keeps(p),
            Filter::Flag(flag) => match flag {
                Flag::Buyer => p.purchases > 0,
                Flag::Email => !p.emails.is_empty(),
                Flag::Phone => !p.phones.is_empty(),
                Flag::Card => !p.cards.is_empty(),
                Flag::Reachable => !p.emails.is_empty() || !p.phones.is_empty(),
            },
            Filter::Number(field, op, n) => op.holds(field.of(p), *n),
            Filter::Date(last, op, day) => {
                let seen = if *last { &p.last_seen } else { &p.first_seen };
                seen.len() >= 10 && op.holds(&seen[..10], day.as_str())
            }
            Filter::Source(present, name) => p.sources.contains(name) == *present,
        }
    }
}

impl Field {
    fn of(self, p: &ExportProfile) -> f64 {
        match self {
            Field::Sources => p.sources.len() as f64,
            Field::Records => p.records as f64,
            Field::Purchases => p.purchases as f64,
            Field::Revenue => p.amount_total,
            Field::Emails => p.emails.len() as f64,
            Field::Phones => p.phones.len() as f64,
            Field::Cards => p.cards.len() as f64,
        }
    }
}

/// Splits on spaces, with the spaces around operators removed first.
fn words(text: &str) -> Vec<String> {
    let is_op = |c: char| matches!(c, '<' | '>' | '=' | '!');
    let chars: Vec<char> = text.trim().chars().collect();
    let mut joined = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let before = joined.chars().last().is_some_and(is_op);
            let after = chars[i + 1..]
                .iter()
                .find(|c| !c.is_whitespace())
                .is_some_and(|&c| is_op(c));
            if before || after {
                continue;
            }
        }
        joined.push(c);
    }
    joined.split_whitespace().map(str::to_owned).collect()
}

fn parse_or(words: &[String], pos: &mut usize) -> anyhow::Result<Filter> {
    let mut left = parse_and(words, pos)?;
    while words
        .get(*pos)
        .is_some_and(|w| w.eq_ignore_ascii_case("or"))
    {
        *pos += 1;
        left = Filter::Or(Box::new(left), Box::new(parse_and(words, pos)?));
    }
    Ok(left)
}

fn parse_and(words: &[String], pos: &mut usize) -> anyhow::Result<Filter> {
    let mut left = parse_unary(words, pos)?;
    while words
        .get(*pos)
        .is_some_and(|w| w.eq_ignore_ascii_case("and"))
    {
        *pos += 1;
        left = Filter::And(Box::new(left), Box::new(parse_unary(words, pos)?));
    }
    Ok(left)
}

fn parse_unary(words: &[String], pos: &mut usize) -> anyhow::Result<Filter> {
    let word = words
        .get(*pos)
        .ok_or_else(|| anyhow!("a condition is missing at the end"))?;
    *pos += 1;
    if word.eq_ignore_ascii_case("not") {
        return Ok(Filter::Not(Box::new(parse_unary(words, pos)?)));
    }
    atom(word)
}

const OPS: [(&str, Op); 6] = [
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("!=", Op::Ne),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("=", Op::Eq),
];

fn atom(word: &str) -> anyhow::Result<Filter> {
    let Some(at) = word.find(['<', '>', '=', '!']) else {
        return flag(word).map(Filter::Flag);
    };
    let (name, rest) = word.split_at(at);
    let (op, value) = OPS
        .iter()
        .find_map(|&(text, op)| rest.strip_prefix(text).map(|v| (op, v)))
        .ok_or_else(|| anyhow!("'{word}': unknown comparison"))?;
    if value.is_empty() {
        bail!("'{word}': a value is missing after the comparison");
    }
    match name.to_ascii_lowercase().as_str() {
        "source" => match op {
            Op::Eq | Op::Ne => Ok(Filter::Source(op == Op::Eq, value.to_owned())),
            _ => bail!("'{word}': compare a source with `=` or `!=`"),
        },
        date @ ("first_seen" | "last_seen") => {
            if !is_day(value) {
                bail!("'{word}': write the date as YYYY-MM-DD");
            }
            Ok(Filter::Date(date == "last_seen", op, value.to_owned()))
        }
        field => {
            let field = number_field(field).ok_or_else(|| {
                anyhow!(
                    "'{name}' is no field (fields: sources, records, purchases, revenue, \
                     emails, phones, cards, first_seen, last_seen, source)"
                )
            })?;
            let n = value
                .parse()
                .map_err(|_| anyhow!("'{word}': '{value}' is not a number"))?;
            Ok(Filter::Number(field, op, n))
        }
    }
}

fn flag(word: &str) -> anyhow::Result<Flag> {
    Ok(match word.to_ascii_lowercase().as_str() {
        "buyer" | "buyers" => Flag::Buyer,
        "email" => Flag::Email,
        "phone" => Flag::Phone,
        "card" => Flag::Card,
        "reachable" => Flag::Reachable,
        _ => bail!(
            "'{word}' is no condition (flags: buyer, email, phone, card, reachable; or a \
             comparison such as sources>=2)"
        ),
    })
}

fn number_field(name: &str) -> Option<Field> {
    Some(match name {
        "sources" | "channels" => Field::Sources,
        "records" => Field::Records,
        "purchases" | "orders" => Field::Purchases,
        "revenue" | "amount" | "amount_total" => Field::Revenue,
        "emails" => Field::Emails,
        "phones" => Field::Phones,
        "cards" => Field::Cards,
        _ => return None,
    })
}

fn is_day(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> ExportProfile {
        ExportProfile {
            id: "P1".into(),
            sources: vec!["web_shop".into(), "pos".into()],
            emails: vec!["a@b.ru".into()],
            first_seen: "2025-03-01 10:00:00".into(),
            last_seen: "2026-01-01 23:59:59".into(),
            purchases: 2,
            amount_total: 150.5,
            records: 3,
            ..ExportProfile::default()
        }
    }

    #[test]
    fn conditions_from_the_issue_read_as_written() {
        let p = profile();
        let keeps = |text: &str| Filter::parse(text).unwrap().keeps(&p);
        assert!(keeps("sources>=2"));
        assert!(keeps("sources >= 2"));
        assert!(keeps("buyer"));
        assert!(keeps("last_seen>=2026-01-01"));
        assert!(!keeps("last_seen>2026-01-01"));
        assert!(!keeps("not email"));
        assert!(keeps("not phone"));
        assert!(keeps("source=pos and revenue>100"));
        assert!(keeps("phone or purchases=2"));
        assert!(!keeps("source!=web_shop"));
        assert!(keeps("not card and first_seen<2025-03-02"));
    }

    #[test]
    fn not_binds_tighter_than_and_and_and_tighter_than_or() {
        let f = Filter::parse("not email and phone or buyer").unwrap();
        let expected = Filter::Or(
            Box::new(Filter::And(
                Box::new(Filter::Not(Box::new(Filter::Flag(Flag::Email)))),
                Box::new(Filter::Flag(Flag::Phone)),
            )),
            Box::new(Filter::Flag(Flag::Buyer)),
        );
        assert_eq!(f, expected);
    }

    #[test]
    fn a_profile_without_dates_fails_every_date_condition() {
        let p = ExportProfile::default();
        for text in ["last_seen>=2000-01-01", "last_seen<2100-01-01"] {
            assert!(!Filter::parse(text).unwrap().keeps(&p), "{text}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| Filter::parse(text).unwrap_err().to_string();
        assert!(err("byer").contains("'byer' is no condition"));
        assert!(err("sources>=two").contains("'two' is not a number"));
        assert!(err("last_seen>=01.01.2026").contains("YYYY-MM-DD"));
        assert!(err("email phone").contains("unexpected 'phone'"));
        assert!(err("not").contains("missing"));
        assert!(err("age>3").contains("'age' is no field"));
        assert!(err("  ").contains("empty"));
    }
}
