//! Phone normalization to E.164 (`+79161234567`), with libphonenumber (`rlibphonenumber`) as
//! the authority.
//!
//! Steps: trim; recover integers a spreadsheet wrote as floats (`7.9161234567E10`,
//! `79161234567.0`) by string manipulation; cut extension text (`доб. 12`, `ext 5`, `x5`, `#5`);
//! then either the checked fast path or libphonenumber's `parse` with the region (one util per
//! busy thread, see `UTIL`), `is_valid_number` and E.164 formatting. The region is the per-row
//! hint when it is recognised (`RU`, `ru_RU`, `Russia`, `Россия`, `RUS`, `643`, ...), else the
//! default region from config.
//!
//! **Fast path.** Most rows are numbers in a handful of digit shapes (`8 916 123-45-67`,
//! `+7 (916) 1234567`, `(415) 555-0100`, `+44 7400 123456`, `0049 171 2345678`, `06 12 34 56
//! 78`). For Russia, the US, the UK, Germany and France the fast path builds the E.164 string
//! directly, but only when the 3-digit prefix is in a table where libphonenumber's metadata says
//! every number of that length is valid; anything else falls through to the library (issue 19:
//! foreign numbers were a third of the international benchmark's phones, each parsed by regex).
//! The tests `fast_path_agrees_with_libphonenumber` and
//! `foreign_fast_path_agrees_with_libphonenumber` compare the two on every prefix with random
//! subscriber numbers, spellings and regions and require 100 % agreement, validity included.
//! The tables were derived from metadata 9.0.42 (the foreign ones by the ignored test
//! `derive_foreign_prefixes`); a metadata update that changes them fails those tests rather
//! than silently diverging.
//!
//! **What this does not do.** A wrong default region gives a *valid wrong* number: with `RU`,
//! `(415) 555-0100` is `+74155550100`, because 415 is also a Russian area code. That is
//! libphonenumber's behaviour and the reason for the per-row region hint. With no region at all,
//! only international spellings are read (`+44 …`, `0044 …`, `011 44 …`, `810 44 …`, eleven
//! or more digits without the `+`: see `international_reading`); a national form is
//! [`RejectReason::PhoneUnparseable`]. Numbers libphonenumber calls valid but whose E.164 form
//! is shorter than 8 digits (a few tiny Pacific numbering plans) are
//! [`RejectReason::PhoneInvalid`], so every output matches `^\+\d{8,15}$`. Number type (mobile
//! or landline) is not considered.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use rlibphonenumber::{
    PHONE_NUMBER_UTIL, PhoneNumberFormat, PhoneNumberType, PhoneNumberUtil, enums::Region,
};

use super::{SpreadsheetNumber, recover_spreadsheet_integer};
use crate::reject::RejectReason;

/// Phone normalizer with a default region.
#[derive(Clone, Debug)]
pub struct PhoneNormalizer {
    default_region: Option<Region>,
}

impl PhoneNormalizer {
    /// `default_region`: a region hint for numbers written without `+`, usually an ISO 3166
    /// alpha-2 code (`RU`); any form [`region_code`] accepts works. Fails on an unknown region.
    pub fn new(default_region: Option<&str>) -> anyhow::Result<Self> {
        let default_region = default_region
            .map(|hint| {
                parse_region_hint(hint).ok_or_else(|| {
                    anyhow::anyhow!("unknown phone region '{hint}': give an ISO code such as RU")
                })
            })
            .transpose()?;
        Ok(PhoneNormalizer { default_region })
    }

    /// The default region's ISO code, if any.
    pub fn default_region(&self) -> Option<String> {
        self.default_region
            .map(|r| r.as_region_str().as_str().to_owned())
    }

    /// Normalizes one raw value (non-empty after trim). `row_region` is a per-row country or
    /// locale value (`RU`, `ru_RU`, `Russia`, `Россия`, ...) that overrides the default region;
    /// an unrecognised hint is ignored.
    pub fn normalize(&self, raw: &str, row_region: Option<&str>) -> Result<String, RejectReason> {
        let region = row_region
            .and_then(parse_region_hint)
            .or(self.default_region);
        let trimmed = raw.trim();
        let value = match recover_spreadsheet_integer(trimmed) {
            SpreadsheetNumber::NotFloat => Cow::Borrowed(trimmed),
            SpreadsheetNumber::Digits(digits) => Cow::Owned(digits),
            SpreadsheetNumber::Lossy => return Err(RejectReason::PhoneUnparseable),
        };
        let value = strip_extension(&value);
        match fast_path(value, region) {
            Some(e164) => Ok(e164),
            None => by_library(value, region),
        }
    }
}

/// libphonenumber's reading under the region, else the international reading.
fn by_library(value: &str, region: Option<Region>) -> Result<String, RejectReason> {
    let result = parse_with_library(value, region);
    if result.is_err()
        && let Some(e164) = international_reading(value)
    {
        return Ok(e164);
    }
    result
}

/// The international reading of a number written without the region's conventions, when the
/// reading under the region failed (issue 15): an international call prefix that is not the
/// region's own (`00` in Europe and most of the world, `011` from North America, `810` from
/// Russia), or a missing `+` on eleven or more digits that do not start with a trunk prefix
/// `0` or `8` (`1-972-690-6254`, `49 160 4067175`).
/// Letters count as their keypad digits (`1-800-FLOWERS`). `None` when that reading is not a
/// valid number either, or the value is not digits and separators.
fn international_reading(value: &str) -> Option<String> {
    let digits = dialable_digits(value)?;
    // A leading `8` is a trunk prefix (Russia and its neighbours), not a country code: read as
    // international, `8 495 914-93-28` would become a Vietnamese number.
    let missing_plus = digits.len() >= 11 && !digits.starts_with(['0', '8']);
    let rest = ["00", "011", "810"]
        .iter()
        .find_map(|prefix| digits.strip_prefix(prefix))
        .or(missing_plus.then_some(digits.as_str()))?;
    parse_with_library(&format!("+{rest}"), None).ok()
}

/// The digits of a number as dialled: separators (`space - . ( ) /`) skipped, letters turned
/// into keypad digits when the value already has four digits or more (`1-800-FLOWERS`).
/// `None` for a leading `+` (already international) or any other character.
fn dialable_digits(value: &str) -> Option<String> {
    let has_digits = value.bytes().filter(u8::is_ascii_digit).count() >= 4;
    let mut digits = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            'A'..='Z' | 'a'..='z' if has_digits => digits.push(keypad_digit(c)),
            _ => return None,
        }
    }
    Some(digits)
}

/// The phone keypad digit of a Latin letter (`ABC` 2 ... `WXYZ` 9).
fn keypad_digit(c: char) -> char {
    match c.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        _ => '9',
    }
}

/// The region a number written without `+` points to, as a person would read it, for inferring
/// a file's region (`extract::plan::infer_region`): the North American grouping `3-3-4`
/// (`(310) 246-1501`, `310/246-1501`, `1-310-246-1501`) is `US`, the Russian `3-3-2-2`
/// (`8 (916) 123-45-67`) is `RU`; otherwise the one region, of those customer exports here
/// mostly come from ([`REGION_NAMES`] but China), under which the number is valid. `None` when the shape
/// says nothing and the number is valid in several regions or none.
pub fn region_evidence(raw: &str) -> Option<String> {
    let value = strip_extension(raw.trim());
    if value.starts_with('+') {
        return None;
    }
    let groups: Vec<usize> = value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    let first = value.trim_start_matches(|c: char| !c.is_ascii_digit());
    match groups[..] {
        [3, 3, 4] => return Some("US".to_owned()),
        [1, 3, 3, 4] if first.starts_with('1') => return Some("US".to_owned()),
        [3, 3, 2, 2] => return Some("RU".to_owned()),
        [1, 3, 3, 2, 2] if first.starts_with(['7', '8']) => return Some("RU".to_owned()),
        _ => {}
    }
    let digits: usize = groups.iter().sum();
    if !(8..=13).contains(&digits) {
        return None;
    }
    // China's plan accepts most strings of eleven or twelve digits: no evidence of anything.
    let mut valid = REGION_NAMES
        .iter()
        .filter(|(iso, _)| *iso != "CN")
        .filter(|(iso, _)| {
            let region = Region::from_code(iso).ok();
            region.is_some() && parse_with_library(value, region).is_ok()
        })
        .map(|(iso, _)| *iso);
    match (valid.next(), valid.next()) {
        (Some(only), None) => Some(only.to_owned()),
        _ => None,
    }
}

/// Namespace of local numbers (see [`local_number`]). An id namespace, so that it is written
/// beside the other ids (`local_phone:2859902`) and never mistaken for an E.164 phone; it links
/// with the priority of phones (`GuardSettings::rank`).
pub const LOCAL_NAMESPACE: &str = "id:local_phone";

/// A local number: five to eight digits with the usual separators, too short for any numbering
/// plan and so not a valid phone under any region, as sites list themselves by a number without
/// area code (`285-9902`). Returns the digits, which link only with the same local number in
/// the same run; it is never turned into an E.164 number, since its area is unknown. A leading
/// `0` (a trunk prefix: the area code is there, the number is just invalid), a `+`, letters,
/// or one repeated digit or run (`1234567`) are not local numbers.
pub fn local_number(raw: &str) -> Option<String> {
    let value = strip_extension(raw.trim());
    let mut digits = String::with_capacity(8);
    for c in value.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    let bytes = digits.as_bytes();
    let plain = (5..=8).contains(&bytes.len()) && bytes[0] != b'0';
    let junk = bytes.windows(2).all(|w| w[0] == w[1])
        || bytes.windows(2).all(|w| w[1] == w[0] + 1)
        || bytes.windows(2).all(|w| w[1] + 1 == w[0]);
    (plain && !junk).then_some(digits)
}

/// The ISO code (`RU`) for a region hint: a 2-letter code in any case (`UK` means `GB`), a
/// locale (`ru_RU`, `en-US`, `ru_RU.UTF-8`), or, for the countries customer exports here
/// mostly name, an English or Russian name, alpha-3 code, or numeric code (`Russia`, `Россия`,
/// `RUS`, `643`). `None` when the hint is not recognised or libphonenumber has no such region.
pub fn region_code(hint: &str) -> Option<String> {
    parse_region_hint(hint).map(|r| r.as_region_str().as_str().to_owned())
}

/// The region (`RU`, `KZ`, `US`, ...) an E.164 number belongs to, by libphonenumber's data.
pub fn region_of(e164: &str) -> Option<String> {
    let number = PHONE_NUMBER_UTIL.parse(e164, None).ok()?;
    PHONE_NUMBER_UTIL
        .get_region_for_number(&number)
        .map(|r| r.as_region_str().as_str().to_owned())
}

/// Whether an E.164 number is a fixed line (a landline) by libphonenumber's metadata. Numbers
/// the metadata cannot tell from mobiles (`FIXED_LINE_OR_MOBILE`, as in the US) are not.
///
/// Russian numbers starting with 9 (`+79…`, every Russian mobile, most of the phones linked) are
/// answered without parsing: the metadata's Russian fixed-line ranges all start with 3, 4 or 8,
/// so libphonenumber says "not a fixed line" for them whatever follows (a test checks every
/// `+79xx` prefix and several lengths against it). `link` asks once per shared phone.
pub fn is_fixed_line(e164: &str) -> bool {
    if e164.starts_with("+79") {
        return false;
    }
    fixed_line_by_library(e164)
}

fn fixed_line_by_library(e164: &str) -> bool {
    PHONE_NUMBER_UTIL.parse(e164, None).is_ok_and(|number| {
        PHONE_NUMBER_UTIL.get_number_type(&number) == PhoneNumberType::FixedLine
    })
}

/// Names, alpha-3 and numeric codes per region, lowercase.
static REGION_NAMES: &[(&str, &[&str])] = &[
    (
        "RU",
        &[
            "russia",
            "russian federation",
            "россия",
            "рф",
            "российская федерация",
            "rus",
            "643",
        ],
    ),
    (
        "US",
        &[
            "usa",
            "united states",
            "united states of america",
            "сша",
            "америка",
            "840",
        ],
    ),
    (
        "GB",
        &[
            "united kingdom",
            "great britain",
            "britain",
            "england",
            "великобритания",
            "англия",
            "gbr",
            "826",
        ],
    ),
    ("DE", &["germany", "deutschland", "германия", "deu", "276"]),
    ("KZ", &["kazakhstan", "казахстан", "kaz", "398"]),
    ("BY", &["belarus", "беларусь", "белоруссия", "blr", "112"]),
    ("UA", &["ukraine", "украина", "ukr", "804"]),
    ("FR", &["france", "франция", "fra", "250"]),
    ("IT", &["italy", "италия", "ita", "380"]),
    ("ES", &["spain", "испания", "esp", "724"]),
    (
        "TR",
        &["turkey", "türkiye", "turkiye", "турция", "tur", "792"],
    ),
    ("CN", &["china", "китай", "chn", "156"]),
];

fn parse_region_hint(hint: &str) -> Option<Region> {
    let hint = hint.trim();
    if hint.len() == 2 && hint.bytes().all(|b| b.is_ascii_alphabetic()) {
        // The common case, without allocating.
        let region = if hint.eq_ignore_ascii_case("uk") {
            "GB"
        } else {
            hint
        };
        return Region::from_code(region).ok().filter(is_supported);
    }
    if hint.is_empty() || hint.len() > 40 {
        return None;
    }
    let lower = hint.to_lowercase();
    let lower = lower
        .split('.')
        .next()
        .expect("split yields at least one item")
        .trim();
    // A locale: `ru_RU`, `en-US`; the country is the last 2-letter part.
    let code = match lower.rsplit(['_', '-']).next() {
        Some(last) if last.len() == 2 && lower.len() > 2 => last,
        _ => lower,
    };
    let code = if code == "uk" { "gb" } else { code };
    if code.len() == 2 {
        return Region::from_code(code).ok().filter(is_supported);
    }
    REGION_NAMES
        .iter()
        .find(|(_, names)| names.contains(&lower))
        .and_then(|(iso, _)| Region::from_code(iso).ok())
}

fn is_supported(region: &Region) -> bool {
    PHONE_NUMBER_UTIL
        .get_country_code_for_region(*region)
        .is_some()
}

/// Cuts extension text. `доб.` (Russian for "extension") is unknown to libphonenumber; the
/// Latin markers it knows are cut too, because E.164 drops the extension anyway and the fast
/// path refuses letters.
pub(crate) fn strip_extension(value: &str) -> &str {
    const MARKERS: [&str; 8] = ["доб", "Доб", "ДОБ", "вн.", "Вн.", "ext", "x", "#"];
    if !value
        .bytes()
        .any(|b| b.is_ascii_alphabetic() || b == b'#' || !b.is_ascii())
    {
        return value;
    }
    for (i, _) in value.char_indices() {
        let rest = &value[i..];
        let hit = MARKERS.iter().any(|m| {
            rest.len() >= m.len()
                && rest.is_char_boundary(m.len())
                && rest[..m.len()].eq_ignore_ascii_case(m)
        });
        if hit {
            let before = &value[..i];
            // Only an extension when a whole number comes first.
            if before.bytes().filter(u8::is_ascii_digit).count() >= 7 {
                return before.trim_end_matches(|c: char| !c.is_ascii_digit() && c != ')');
            }
            return value;
        }
    }
    value
}

thread_local! {
    /// One libphonenumber per thread. Its regexes then always serve the thread that owns them
    /// through `regex`'s fast path; the global `PHONE_NUMBER_UTIL`, shared by the extract
    /// workers, sent every match through `regex`'s shared pool of caches (a mutex per search:
    /// about 3% of a run on the international benchmark set, issue 19). Same metadata, same
    /// answers. Built only once the thread has parsed [`OWN_UTIL_AFTER`] numbers: building one
    /// compiles its regexes (about 15 ms), which a run of a few files would notice. Dropped
    /// by [`release_thread_utils`].
    static UTIL: RefCell<Option<PhoneNumberUtil>> = const { RefCell::new(None) };
    /// Numbers this thread has parsed with libphonenumber.
    static PARSED: Cell<u32> = const { Cell::new(0) };
}

/// Library parses on one thread before it builds its own util (see `UTIL`).
const OWN_UTIL_AFTER: u32 = 2_000;

/// Runs `f` with this thread's util once it has one, with the global one before.
fn with_util<T>(f: impl FnOnce(&PhoneNumberUtil) -> T) -> T {
    let parsed = PARSED.with(|n| {
        let parsed = n.get();
        n.set(parsed.saturating_add(1));
        parsed
    });
    if parsed < OWN_UTIL_AFTER {
        f(&PHONE_NUMBER_UTIL)
    } else {
        UTIL.with_borrow_mut(|util| {
            f(util.get_or_insert_with(|| {
                PhoneNumberUtil::new().expect("libphonenumber's compiled metadata loads")
            }))
        })
    }
}

/// Drops the libphonenumber of this thread and of every rayon worker, with the regex caches
/// they grew, once the numbers of a run are parsed (`extract`): kept, they added about 28 MB to
/// the international benchmark set's memory peak, which comes later (issue 19). A thread that
/// parses again starts over, with the global util first.
pub fn release_thread_utils() {
    fn release() {
        UTIL.with_borrow_mut(|util| *util = None);
        PARSED.with(|n| n.set(0));
    }
    rayon::broadcast(|_| release());
    release();
}

fn parse_with_library(value: &str, region: Option<Region>) -> Result<String, RejectReason> {
    with_util(|util| {
        let number = util
            .parse(value, region)
            .map_err(|_| RejectReason::PhoneUnparseable)?;
        if !util.is_valid_number(&number) {
            return Err(RejectReason::PhoneInvalid);
        }
        let e164 = util.format(&number, PhoneNumberFormat::E164);
        // E.164 allows at most 15 digits; libphonenumber's metadata accepts longer numbers for
        // a few regions (DE), which would break the canonical `+` and 8-15 digits shape (found
        // by `cargo fuzz run phone`, issue 7).
        if e164.len() < 9 || e164.len() > 16 {
            return Err(RejectReason::PhoneInvalid);
        }
        Ok(e164.into_owned())
    })
}

/// Builds a 1000-bit set from 3-digit codes at compile time.
const fn code_set(codes: &[u16]) -> [u64; 16] {
    let mut set = [0u64; 16];
    let mut i = 0;
    while i < codes.len() {
        let code = codes[i] as usize;
        set[code / 64] |= 1 << (code % 64);
        i += 1;
    }
    set
}

fn contains(set: &[u64; 16], code: usize) -> bool {
    set[code / 64] & (1 << (code % 64)) != 0
}

/// Russian 3-digit prefixes (of the 10-digit national number) whose every number is valid in
/// metadata 9.0.42: fixed-line area codes, mobile 90x-92x and 94x-99x (93x is split finer, so
/// it is left to the library), toll-free 800/804, premium 803/809, personal 808.
static RU_VALID_PREFIXES: [u64; 16] = code_set(&[
    301, 302, 336, 341, 342, 343, 345, 346, 347, 349, 351, 352, 353, 365, 381, 382, 383, 384, 385,
    388, 390, 391, 394, 395, 401, 411, 413, 415, 416, 421, 423, 424, 426, 427, 471, 472, 473, 474,
    475, 481, 482, 483, 484, 485, 486, 487, 491, 492, 493, 494, 495, 496, 498, 499, 800, 803, 804,
    808, 809, 811, 812, 813, 814, 815, 816, 817, 818, 820, 821, 831, 833, 834, 835, 836, 840, 841,
    842, 843, 844, 845, 846, 847, 848, 851, 855, 856, 857, 860, 861, 862, 863, 865, 866, 867, 869,
    871, 872, 873, 877, 878, 879, 900, 901, 902, 903, 904, 905, 906, 907, 908, 909, 910, 911, 912,
    913, 914, 915, 916, 917, 918, 919, 920, 921, 922, 923, 924, 925, 926, 927, 928, 929, 940, 941,
    942, 943, 944, 945, 946, 947, 948, 949, 950, 951, 952, 953, 954, 955, 956, 957, 958, 959, 960,
    961, 962, 963, 964, 965, 966, 967, 968, 969, 970, 971, 972, 973, 974, 975, 976, 977, 978, 979,
    980, 981, 982, 983, 984, 985, 986, 987, 988, 989, 990, 991, 992, 993, 994, 995, 996, 997, 998,
    999,
]);

/// US area codes (NPA) whose every number `NPA [2-9]XX XXXX` is valid in metadata 9.0.42
/// (fixed/mobile, toll-free, premium, personal). 983, 523 and 524 depend on later digits and
/// are left to the library; Canadian and Caribbean codes are too (they are valid, but as other
/// NANP regions, and the library knows them).
static US_VALID_AREA_CODES: [u64; 16] = code_set(&[
    201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 220, 223,
    224, 225, 227, 228, 229, 231, 234, 235, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267,
    269, 270, 272, 274, 276, 279, 281, 283, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313,
    314, 315, 316, 317, 318, 319, 320, 321, 323, 324, 325, 326, 327, 329, 330, 331, 332, 334, 336,
    337, 339, 341, 346, 347, 350, 351, 352, 353, 360, 361, 363, 364, 369, 380, 385, 386, 401, 402,
    404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425, 430, 432, 434,
    435, 440, 442, 443, 445, 447, 448, 458, 463, 464, 469, 470, 472, 475, 478, 479, 480, 484, 500,
    501, 502, 503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 521, 522, 525,
    526, 527, 528, 529, 530, 531, 532, 533, 534, 539, 540, 541, 544, 551, 557, 559, 561, 562, 563,
    564, 566, 567, 570, 571, 572, 573, 574, 575, 577, 580, 582, 585, 586, 588, 601, 602, 603, 605,
    606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 628, 629, 630, 631,
    636, 640, 641, 645, 646, 650, 651, 656, 657, 659, 660, 661, 662, 667, 669, 678, 680, 681, 682,
    686, 689, 701, 702, 703, 704, 706, 707, 708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724,
    725, 726, 727, 728, 730, 731, 732, 734, 737, 738, 740, 743, 747, 748, 754, 757, 760, 762, 763,
    765, 769, 770, 771, 772, 773, 774, 775, 779, 781, 785, 786, 800, 801, 802, 803, 804, 805, 806,
    808, 810, 812, 813, 814, 815, 816, 817, 818, 820, 821, 826, 828, 830, 831, 832, 833, 835, 838,
    839, 840, 843, 844, 845, 847, 848, 850, 854, 855, 856, 857, 858, 859, 860, 862, 863, 864, 865,
    866, 870, 872, 877, 878, 888, 900, 901, 903, 904, 906, 907, 908, 909, 910, 912, 913, 914, 915,
    916, 917, 918, 919, 920, 925, 928, 929, 930, 931, 934, 936, 937, 938, 940, 941, 943, 945, 947,
    948, 949, 951, 952, 954, 956, 959, 970, 971, 972, 973, 975, 978, 979, 980, 984, 985, 986, 989,
]);

/// United Kingdom, 10-digit national numbers: the 3-digit prefixes whose every number is valid
/// (see [`FOREIGN`]).
static GB_10: [u64; 16] = code_set(&[
    129, 130, 141, 143, 147, 151, 156, 161, 172, 187, 191, 198, 200, 201, 203, 204, 207, 208, 230,
    231, 238, 239, 240, 241, 247, 280, 281, 282, 283, 284, 286, 287, 288, 289, 290, 291, 292, 300,
    301, 302, 303, 304, 305, 306, 307, 308, 309, 330, 331, 332, 333, 334, 335, 336, 337, 338, 339,
    340, 341, 342, 343, 344, 345, 346, 347, 348, 349, 370, 371, 372, 373, 374, 375, 376, 377, 378,
    379, 550, 551, 552, 553, 554, 555, 556, 557, 558, 559, 560, 561, 562, 563, 564, 565, 566, 567,
    568, 569, 700, 701, 702, 703, 704, 705, 706, 707, 708, 709, 710, 711, 712, 713, 714, 715, 716,
    717, 718, 719, 720, 721, 722, 723, 724, 725, 726, 727, 728, 729, 730, 731, 732, 733, 734, 735,
    736, 737, 738, 739, 740, 741, 742, 743, 744, 745, 746, 747, 748, 749, 750, 751, 752, 753, 754,
    755, 756, 757, 758, 759, 771, 772, 773, 774, 775, 776, 777, 778, 779, 780, 781, 782, 783, 784,
    785, 786, 787, 788, 789, 790, 792, 793, 794, 795, 796, 797, 798, 799, 800, 808, 842, 843, 844,
    845, 870, 871, 872, 873, 900, 901, 902, 903, 904, 905, 906, 907, 908, 909, 910, 911, 912, 913,
    914, 915, 916, 917, 918, 919, 980, 981, 982, 983, 984, 989,
]);

/// Germany, 10-digit national numbers: the 3-digit prefixes whose every number is valid
/// (see [`FOREIGN`]).
static DE_10: [u64; 16] = code_set(&[
    160, 162, 163, 164, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 201,
    202, 203, 204, 205, 206, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221,
    222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240,
    241, 242, 243, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260,
    261, 262, 263, 264, 265, 266, 267, 268, 269, 271, 272, 273, 274, 275, 276, 277, 280, 281, 282,
    283, 284, 285, 286, 287, 290, 291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303,
    304, 305, 306, 307, 308, 309, 330, 331, 332, 333, 334, 335, 336, 337, 338, 339, 340, 341, 342,
    343, 344, 345, 346, 347, 349, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 360, 361, 362,
    363, 364, 365, 366, 367, 368, 369, 371, 372, 373, 374, 375, 376, 377, 381, 382, 383, 384, 385,
    386, 387, 388, 390, 391, 392, 393, 394, 395, 396, 397, 398, 399, 400, 401, 402, 403, 404, 405,
    406, 407, 408, 409, 410, 412, 413, 414, 415, 416, 417, 418, 419, 420, 421, 422, 423, 424, 425,
    426, 427, 428, 429, 430, 431, 432, 433, 434, 435, 436, 437, 438, 439, 440, 441, 442, 443, 444,
    445, 446, 447, 448, 449, 450, 451, 452, 453, 454, 455, 456, 460, 461, 462, 463, 464, 465, 466,
    467, 468, 470, 471, 472, 473, 474, 475, 476, 477, 479, 480, 481, 482, 483, 484, 485, 486, 487,
    488, 489, 490, 491, 492, 495, 502, 503, 504, 505, 506, 507, 508, 510, 511, 512, 513, 514, 515,
    516, 517, 518, 519, 520, 521, 522, 523, 524, 525, 526, 527, 528, 529, 530, 531, 532, 533, 534,
    535, 536, 537, 538, 540, 541, 542, 543, 544, 545, 546, 547, 548, 549, 550, 551, 552, 553, 554,
    555, 556, 557, 558, 559, 560, 561, 562, 563, 564, 565, 566, 567, 568, 569, 570, 571, 572, 573,
    574, 575, 576, 577, 580, 581, 582, 583, 584, 585, 586, 587, 588, 590, 591, 592, 593, 594, 595,
    596, 597, 600, 602, 603, 604, 605, 606, 607, 608, 609, 610, 611, 612, 613, 614, 615, 616, 617,
    618, 619, 620, 621, 622, 623, 624, 625, 626, 627, 628, 629, 630, 631, 632, 633, 634, 635, 636,
    637, 638, 639, 640, 641, 642, 643, 644, 645, 646, 647, 648, 650, 651, 652, 653, 654, 655, 656,
    657, 658, 659, 661, 662, 663, 664, 665, 666, 667, 668, 669, 670, 671, 672, 673, 674, 675, 676,
    677, 678, 680, 681, 682, 683, 684, 685, 686, 687, 688, 689, 690, 691, 692, 693, 694, 695, 696,
    697, 698, 699, 702, 703, 704, 705, 706, 707, 708, 711, 712, 713, 714, 715, 716, 717, 718, 719,
    720, 721, 722, 723, 724, 725, 726, 727, 730, 731, 732, 733, 734, 735, 736, 737, 738, 739, 740,
    741, 742, 743, 744, 745, 746, 747, 748, 750, 751, 752, 753, 754, 755, 756, 757, 758, 760, 761,
    762, 763, 764, 765, 766, 767, 768, 770, 771, 772, 773, 774, 775, 776, 777, 780, 781, 782, 783,
    784, 785, 790, 791, 793, 794, 795, 796, 797, 800, 802, 803, 804, 805, 806, 807, 808, 809, 810,
    811, 812, 813, 814, 815, 816, 817, 819, 820, 821, 822, 823, 824, 825, 826, 827, 828, 829, 830,
    831, 832, 833, 834, 836, 837, 838, 839, 840, 841, 842, 843, 844, 845, 846, 850, 851, 853, 854,
    855, 856, 857, 858, 859, 861, 862, 863, 864, 865, 866, 867, 868, 870, 871, 872, 873, 874, 875,
    876, 877, 878, 880, 881, 882, 884, 885, 886, 890, 891, 892, 893, 894, 895, 896, 897, 898, 899,
    906, 907, 908, 909, 910, 911, 912, 913, 914, 915, 916, 917, 918, 919, 920, 921, 922, 923, 924,
    925, 926, 927, 928, 929, 930, 931, 932, 933, 934, 935, 936, 937, 938, 939, 940, 941, 942, 943,
    944, 945, 946, 947, 948, 949, 950, 951, 952, 953, 954, 955, 956, 957, 960, 961, 962, 963, 964,
    965, 966, 967, 968, 970, 971, 972, 973, 974, 976, 977, 980, 981, 982, 983, 984, 985, 986, 987,
    990, 991, 992, 993, 994, 995, 996, 997,
]);

/// Germany, 11-digit national numbers: the 3-digit prefixes whose every number is valid
/// (see [`FOREIGN`]).
static DE_11: [u64; 16] = code_set(&[
    150, 151, 152, 155, 156, 157, 158, 159, 160, 162, 163, 164, 168, 169, 170, 171, 172, 173, 174,
    175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 201, 202, 203, 204,
    205, 206, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224,
    225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243,
    244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263,
    264, 265, 266, 267, 268, 269, 271, 272, 273, 274, 275, 276, 277, 280, 281, 282, 283, 284, 285,
    286, 287, 290, 291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303, 304, 305, 306,
    307, 308, 309, 320, 321, 322, 323, 324, 325, 326, 327, 328, 329, 330, 331, 332, 333, 334, 335,
    336, 337, 338, 339, 340, 341, 342, 343, 344, 345, 346, 347, 349, 350, 351, 352, 353, 354, 355,
    356, 357, 358, 359, 360, 361, 362, 363, 364, 365, 366, 367, 368, 369, 371, 372, 373, 374, 375,
    376, 377, 381, 382, 383, 384, 385, 386, 387, 388, 390, 391, 392, 393, 394, 395, 396, 397, 398,
    399, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 416, 417, 418,
    419, 420, 421, 422, 423, 424, 425, 426, 427, 428, 429, 430, 431, 432, 433, 434, 435, 436, 437,
    438, 439, 440, 441, 442, 443, 444, 445, 446, 447, 448, 449, 450, 451, 452, 453, 454, 455, 456,
    460, 461, 462, 463, 464, 465, 466, 467, 468, 470, 471, 472, 473, 474, 475, 476, 477, 479, 480,
    481, 482, 483, 484, 485, 486, 487, 488, 489, 490, 491, 492, 495, 502, 503, 504, 505, 506, 507,
    508, 510, 511, 512, 513, 514, 515, 516, 517, 518, 519, 520, 521, 522, 523, 524, 525, 526, 527,
    528, 529, 530, 531, 532, 533, 534, 535, 536, 537, 538, 540, 541, 542, 543, 544, 545, 546, 547,
    548, 549, 550, 551, 552, 553, 554, 555, 556, 557, 558, 559, 560, 561, 562, 563, 564, 565, 566,
    567, 568, 569, 570, 571, 572, 573, 574, 575, 576, 577, 580, 581, 582, 583, 584, 585, 586, 587,
    588, 590, 591, 592, 593, 594, 595, 596, 597, 600, 602, 603, 604, 605, 606, 607, 608, 609, 610,
    611, 612, 613, 614, 615, 616, 617, 618, 619, 620, 621, 622, 623, 624, 625, 626, 627, 628, 629,
    630, 631, 632, 633, 634, 635, 636, 637, 638, 639, 640, 641, 642, 643, 644, 645, 646, 647, 648,
    650, 651, 652, 653, 654, 655, 656, 657, 658, 659, 661, 662, 663, 664, 665, 666, 667, 668, 669,
    670, 671, 672, 673, 674, 675, 676, 677, 678, 680, 681, 682, 683, 684, 685, 686, 687, 688, 689,
    690, 691, 692, 693, 694, 695, 696, 697, 698, 699, 700, 702, 703, 704, 705, 706, 707, 708, 711,
    712, 713, 714, 715, 716, 717, 718, 719, 720, 721, 722, 723, 724, 725, 726, 727, 730, 731, 732,
    733, 734, 735, 736, 737, 738, 739, 740, 741, 742, 743, 744, 745, 746, 747, 748, 750, 751, 752,
    753, 754, 755, 756, 757, 758, 760, 761, 762, 763, 764, 765, 766, 767, 768, 770, 771, 772, 773,
    774, 775, 776, 777, 780, 781, 782, 783, 784, 785, 790, 791, 793, 794, 795, 796, 797, 800, 802,
    803, 804, 805, 806, 807, 808, 809, 810, 811, 812, 813, 814, 815, 816, 817, 819, 820, 821, 822,
    823, 824, 825, 826, 827, 828, 829, 830, 831, 832, 833, 834, 836, 837, 838, 839, 840, 841, 842,
    843, 844, 845, 846, 850, 851, 853, 854, 855, 856, 857, 858, 859, 861, 862, 863, 864, 865, 866,
    867, 868, 870, 871, 872, 873, 874, 875, 876, 877, 878, 880, 881, 882, 884, 885, 886, 890, 891,
    892, 893, 894, 895, 896, 897, 898, 899, 906, 907, 908, 909, 910, 911, 912, 913, 914, 915, 916,
    917, 918, 919, 920, 921, 922, 923, 924, 925, 926, 927, 928, 929, 930, 931, 932, 933, 934, 935,
    936, 937, 938, 939, 940, 941, 942, 943, 944, 945, 946, 947, 948, 949, 950, 951, 952, 953, 954,
    955, 956, 957, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 976, 977,
    980, 981, 982, 983, 984, 985, 986, 987, 990, 991, 992, 993, 994, 995, 996, 997,
]);

/// France, 9-digit national numbers: the 3-digit prefixes whose every number is valid
/// (see [`FOREIGN`]).
static FR_9: [u64; 16] = code_set(&[
    100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118,
    119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137,
    138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156,
    157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175,
    176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194,
    195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213,
    214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232,
    233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251,
    252, 253, 254, 255, 256, 257, 258, 259, 260, 261, 263, 264, 265, 266, 267, 268, 269, 270, 271,
    272, 273, 274, 275, 276, 277, 278, 279, 280, 281, 282, 283, 284, 285, 286, 287, 288, 289, 290,
    291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309,
    310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 322, 323, 324, 325, 326, 327, 328,
    329, 330, 331, 332, 333, 334, 335, 336, 337, 338, 339, 340, 341, 342, 343, 344, 345, 346, 347,
    348, 349, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 360, 361, 362, 363, 364, 365, 366,
    367, 368, 369, 370, 371, 372, 373, 374, 375, 376, 377, 378, 379, 380, 381, 382, 383, 384, 385,
    386, 387, 388, 389, 390, 391, 392, 393, 394, 395, 396, 397, 398, 399, 410, 411, 412, 413, 414,
    415, 416, 417, 418, 419, 420, 421, 422, 423, 424, 425, 426, 427, 428, 429, 430, 431, 432, 433,
    434, 435, 436, 437, 438, 439, 440, 441, 442, 443, 444, 445, 446, 447, 448, 449, 450, 451, 452,
    453, 454, 455, 456, 457, 458, 459, 460, 461, 462, 463, 464, 465, 466, 467, 468, 469, 470, 471,
    472, 473, 474, 475, 476, 477, 478, 479, 480, 481, 482, 483, 484, 485, 486, 487, 488, 489, 490,
    491, 492, 493, 494, 495, 496, 497, 498, 499, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509,
    510, 511, 512, 513, 514, 515, 516, 517, 518, 519, 520, 521, 522, 523, 524, 525, 526, 527, 528,
    529, 530, 531, 532, 533, 534, 535, 536, 537, 538, 539, 540, 541, 542, 543, 544, 545, 546, 547,
    548, 549, 550, 551, 552, 553, 554, 555, 556, 557, 558, 559, 560, 561, 562, 563, 564, 565, 566,
    567, 568, 569, 570, 571, 572, 573, 574, 575, 576, 577, 578, 579, 580, 581, 582, 583, 584, 585,
    586, 587, 588, 589, 591, 592, 593, 595, 596, 597, 598, 599, 600, 601, 602, 603, 604, 605, 606,
    607, 608, 609, 610, 611, 612, 613, 614, 615, 616, 617, 618, 619, 620, 621, 622, 623, 624, 625,
    626, 627, 628, 629, 630, 631, 632, 633, 634, 635, 636, 637, 638, 640, 641, 642, 643, 644, 645,
    646, 647, 648, 649, 650, 651, 652, 653, 654, 655, 656, 657, 658, 659, 660, 661, 662, 663, 664,
    665, 666, 667, 668, 669, 670, 671, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683,
    684, 685, 686, 687, 688, 689, 695, 698, 699, 730, 731, 732, 733, 734, 735, 736, 737, 738, 739,
    740, 741, 742, 743, 744, 745, 746, 747, 748, 749, 750, 751, 752, 753, 754, 755, 756, 757, 758,
    759, 760, 761, 762, 763, 764, 765, 766, 767, 768, 769, 770, 771, 772, 773, 774, 775, 776, 777,
    778, 779, 780, 781, 782, 783, 784, 785, 786, 787, 788, 789, 790, 791, 792, 793, 794, 795, 796,
    797, 798, 799, 800, 801, 802, 803, 804, 805, 806, 807, 808, 809, 810, 811, 812, 813, 814, 815,
    816, 817, 818, 819, 820, 821, 822, 823, 824, 825, 826, 827, 828, 829, 830, 831, 832, 833, 834,
    835, 837, 838, 839, 840, 842, 844, 850, 851, 852, 853, 854, 855, 856, 857, 858, 859, 860, 861,
    862, 863, 864, 865, 866, 867, 868, 869, 880, 881, 882, 883, 884, 885, 886, 887, 888, 889, 890,
    891, 892, 893, 894, 895, 896, 897, 898, 899, 900, 901, 902, 903, 904, 905, 906, 907, 908, 909,
    910, 911, 912, 913, 914, 915, 916, 917, 918, 919, 920, 921, 922, 923, 924, 925, 926, 927, 928,
    929, 930, 931, 932, 933, 934, 935, 936, 937, 938, 939, 940, 941, 942, 943, 944, 945, 946, 947,
    948, 949, 950, 951, 952, 953, 954, 955, 956, 957, 958, 959, 960, 961, 962, 963, 964, 965, 966,
    967, 968, 969, 970, 971, 972, 973, 974, 975, 976, 977, 978, 979, 980, 981, 982, 983, 984, 985,
    986, 987, 988, 989, 990, 991, 992, 993, 994, 995, 996, 997, 998, 999,
]);

/// A country whose common shapes the fast path reads besides Russia's and the US's: its
/// calling code, its region (whose trunk prefix is `0` and international prefix `00`), and per
/// national number length the 3-digit prefixes whose every number of that length is valid in
/// metadata 9.0.42 (derived by the test `derive_foreign_prefixes`, every 4th to 6th digit and
/// random tails; checked by `foreign_fast_path_agrees_with_libphonenumber`).
struct Country {
    code: &'static [u8],
    region: Region,
    lengths: &'static [(usize, [u64; 16])],
}

static FOREIGN: [Country; 3] = [
    Country {
        code: b"44",
        region: Region::GB,
        lengths: &[(10, GB_10)],
    },
    Country {
        code: b"49",
        region: Region::DE,
        lengths: &[(10, DE_10), (11, DE_11)],
    },
    Country {
        code: b"33",
        region: Region::FR,
        lengths: &[(9, FR_9)],
    },
];

/// E.164 for the common digit shapes when the result is certainly what the library (with the
/// international reading after it) would return, else `None`. Accepts ASCII digits, spaces,
/// `-`, `(`, `)`, `.` and one leading `+`. Shapes: `+` and the country code (RU's `7`, the US's
/// `1`, or a [`FOREIGN`] one) then the national number; the same after `00` instead of `+`,
/// when the region is one of those or none; and the national forms of the region: with RU
/// `7`/`8` + 10 digits or 10 digits, with US `1` + 10 digits or 10 digits, with a foreign
/// region its trunk `0` + the national number.
fn fast_path(value: &str, region: Option<Region>) -> Option<String> {
    let mut buffer = [0u8; 17];
    let (plus, digits) = fast_digits(value, &mut buffer)?;
    let (code, national) = if plus {
        split_code(digits)?
    } else if let Some(rest) = digits.strip_prefix(b"00") {
        // `00` is not RU's or the US's international prefix, but neither region's national
        // numbers start with `0`: the library's reading fails and the international one
        // (`international_reading`) is this.
        let known = region.is_none_or(|r| {
            matches!(r, Region::RU | Region::US) || FOREIGN.iter().any(|c| c.region == r)
        });
        if !known {
            return None;
        }
        split_code(rest)?
    } else {
        national_shape(digits, region?)?
    };
    if !is_certainly_valid(code, national) {
        return None;
    }
    let mut e164 = String::with_capacity(1 + code.len() + national.len());
    e164.push('+');
    for &digit in code.iter().chain(national) {
        e164.push(char::from(digit));
    }
    Some(e164)
}

/// The digits of `value` into `buffer`, and whether a `+` led; `None` for any other character
/// or more digits than the buffer holds.
#[inline]
fn fast_digits<'b>(value: &str, buffer: &'b mut [u8; 17]) -> Option<(bool, &'b [u8])> {
    let bytes = value.as_bytes();
    let (plus, body) = match bytes.split_first() {
        Some((b'+', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let mut len = 0;
    for &b in body {
        match b {
            b'0'..=b'9' if len < buffer.len() => {
                buffer[len] = b;
                len += 1;
            }
            b' ' | b'-' | b'(' | b')' | b'.' => {}
            _ => return None,
        }
    }
    Some((plus, &buffer[..len]))
}

/// International digits split into a calling code the fast path knows and the national number.
fn split_code(digits: &[u8]) -> Option<(&'static [u8], &[u8])> {
    match digits.first()? {
        b'7' => Some((b"7", &digits[1..])),
        b'1' => Some((b"1", &digits[1..])),
        _ => FOREIGN
            .iter()
            .find_map(|c| Some((c.code, digits.strip_prefix(c.code)?))),
    }
}

/// A number written in `region`'s national form, as its calling code and national number.
fn national_shape(digits: &[u8], region: Region) -> Option<(&'static [u8], &[u8])> {
    match (region, digits.len(), digits.first()?) {
        (Region::RU, 11, b'7' | b'8') => Some((b"7", &digits[1..])),
        (Region::RU, 10, _) => Some((b"7", digits)),
        (Region::US, 11, b'1') => Some((b"1", &digits[1..])),
        (Region::US, 10, _) => Some((b"1", digits)),
        (_, _, b'0') => {
            let country = FOREIGN.iter().find(|c| c.region == region)?;
            Some((country.code, &digits[1..]))
        }
        _ => None,
    }
}

/// Whether every number of this calling code, length and 3-digit prefix is valid.
fn is_certainly_valid(code: &[u8], national: &[u8]) -> bool {
    let Some(prefix) = national.get(..3) else {
        return false;
    };
    let prefix = prefix
        .iter()
        .fold(0usize, |acc, &d| acc * 10 + usize::from(d - b'0'));
    match code {
        b"7" => national.len() == 10 && contains(&RU_VALID_PREFIXES, prefix),
        b"1" => {
            national.len() == 10 && contains(&US_VALID_AREA_CODES, prefix) && national[3] >= b'2'
        }
        _ => FOREIGN
            .iter()
            .filter(|c| c.code == code)
            .flat_map(|c| c.lengths)
            .any(|(len, set)| *len == national.len() && contains(set, prefix)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(region: &str, raw: &str) -> Result<String, RejectReason> {
        PhoneNormalizer::new(Some(region))
            .expect("known region")
            .normalize(raw, None)
    }

    /// Each thread parses with its own libphonenumber (`UTIL`): threads that parse the same
    /// spellings, at once, get what one thread alone gets.
    /// Released utils: the thread goes back to the global util, then builds its own again,
    /// and every parse gives what it gave before.
    #[test]
    fn released_utils_parse_alike_again() {
        let normalizer = PhoneNormalizer::new(Some("GB")).expect("known region");
        // Leeds' 113: off the fast path (its prefixes are not all valid), so the library's.
        let parse = || normalizer.normalize("0113 496 0958", None);
        assert_eq!(fast_path("0113 496 0958", Some(Region::GB)), None);
        let want = parse();
        assert_eq!(want.as_deref(), Ok("+441134960958"));
        for _ in 0..=OWN_UTIL_AFTER {
            assert_eq!(parse(), want);
        }
        assert!(
            UTIL.with_borrow(Option::is_some),
            "the thread built its own"
        );
        release_thread_utils();
        assert!(UTIL.with_borrow(Option::is_none), "and dropped it");
        assert_eq!(PARSED.with(Cell::get), 0);
        for _ in 0..=OWN_UTIL_AFTER {
            assert_eq!(parse(), want);
        }
        assert!(UTIL.with_borrow(Option::is_some), "then built it again");
    }

    #[test]
    fn every_thread_parses_alike() {
        let cells = [
            ("+1-415-555-0123", None),
            ("(415) 555-0123", Some("US")),
            ("0044 7700 900123", None),
            ("020 7946 0958", Some("GB")),
            ("06 12 34 56 78", Some("FR")),
            ("+49 151 23456789", None),
            ("8 916 123-45-67", Some("RU")),
            ("12", Some("RU")),
        ];
        let normalizers: Vec<PhoneNormalizer> = cells
            .iter()
            .map(|&(_, hint)| PhoneNormalizer::new(hint).expect("known region"))
            .collect();
        let parse_once = || {
            let pairs = cells.iter().zip(&normalizers);
            pairs
                .map(|((raw, _), n)| n.normalize(raw, None))
                .collect::<Vec<_>>()
        };
        // Enough rounds that every thread goes on to its own util (`OWN_UTIL_AFTER`).
        let rounds = OWN_UTIL_AFTER as usize + 2;
        let parse_all = || {
            let first = parse_once();
            for _ in 1..rounds {
                assert_eq!(parse_once(), first, "the thread's own util agrees");
            }
            assert!(
                PARSED.with(Cell::get) > OWN_UTIL_AFTER,
                "its own util was used"
            );
            first
        };
        let alone = parse_all();
        assert!(alone.iter().filter(|r| r.is_ok()).count() >= 6, "{alone:?}");
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4).map(|_| scope.spawn(parse_all)).collect();
            for worker in workers {
                assert_eq!(worker.join().expect("no panic"), alone);
            }
        });
    }

    #[test]
    fn landlines_are_told_from_mobiles_by_the_metadata() {
        assert!(is_fixed_line("+74959149328"), "Moscow 495");
        assert!(is_fixed_line("+493046795263"), "Berlin 030");
        assert!(is_fixed_line("+442080935988"), "London 020");
        assert!(!is_fixed_line("+79161234567"), "Russian mobile");
        assert!(!is_fixed_line("+4915112345678"), "German mobile");
        assert!(
            !is_fixed_line("+12065152447"),
            "US numbers may be either: not treated as landlines"
        );
        assert!(!is_fixed_line("not a number"));
    }

    #[test]
    fn correctness_table_from_research_holds() {
        let cases = [
            ("RU", "+7 (916) 123-45-67", "+79161234567"),
            ("RU", "8 916 123 45 67", "+79161234567"),
            ("RU", "89161234567", "+79161234567"),
            ("RU", "79161234567", "+79161234567"),
            ("RU", "9161234567", "+79161234567"),
            ("RU", "8 (495) 123-45-67", "+74951234567"),
            ("US", "+1-415-555-0100", "+14155550100"),
            ("US", "(415) 555-0100", "+14155550100"),
            ("US", "415.555.0100", "+14155550100"),
            ("US", "1 415 555 0100", "+14155550100"),
            ("RU", "(415) 555-0100", "+74155550100"),
            ("GB", "+44 20 7946 0958", "+442079460958"),
            ("GB", "020 7946 0958", "+442079460958"),
            ("GB", "+44 (0)20 7946 0958", "+442079460958"),
            ("DE", "+49 30 901820", "+4930901820"),
            ("DE", "030 901820", "+4930901820"),
            ("DE", "+49 (0)30 901820", "+4930901820"),
            ("DE", "0151 23456789", "+4915123456789"),
            ("DE", "0049 151 23456789", "+4915123456789"),
            ("DE", "+49 (0) 30 123456-78", "+493012345678"),
        ];
        for (region, raw, want) in cases {
            assert_eq!(norm(region, raw), Ok(want.to_owned()), "{region} {raw}");
        }
    }

    #[test]
    fn invalid_and_unparseable_numbers_are_rejected() {
        assert_eq!(norm("GB", "07700 900123"), Err(RejectReason::PhoneInvalid));
        assert_eq!(norm("RU", "8 916 123 45"), Err(RejectReason::PhoneInvalid));
        assert_eq!(
            norm("US", "not a phone"),
            Err(RejectReason::PhoneUnparseable)
        );
        assert_eq!(
            norm("RU", "не звонить"),
            Err(RejectReason::PhoneUnparseable)
        );
    }

    #[test]
    fn phone_stored_as_float_is_recovered() {
        for raw in [
            "7.9161234567E10",
            "7,9161234567E+10",
            "79161234567.0",
            "79161234567,0",
        ] {
            assert_eq!(norm("RU", raw), Ok("+79161234567".to_owned()), "{raw}");
        }
    }

    #[test]
    fn float_that_lost_digits_is_not_guessed() {
        assert_eq!(
            norm("RU", "7.91612E+10"),
            Err(RejectReason::PhoneUnparseable)
        );
    }

    // See: #7 (fuzz target `phone`, artifact crash-adb93e8f).
    #[test]
    fn issue_7_numbers_longer_than_e164_are_invalid() {
        for raw in ["ŷ+4 99(E44907.. 5 99(E449 7.. 5", "+49 944907599 44975"] {
            assert_eq!(norm("RU", raw), Err(RejectReason::PhoneInvalid), "{raw}");
        }
        assert_eq!(norm("DE", "+49 30 901820"), Ok("+4930901820".to_owned()));
    }

    #[test]
    fn extensions_are_dropped() {
        for raw in [
            "8 (495) 123-45-67 доб. 123",
            "+7 495 123 45 67 ext. 5",
            "84951234567#12",
        ] {
            assert_eq!(norm("RU", raw), Ok("+74951234567".to_owned()), "{raw}");
        }
        assert_eq!(
            norm("US", "(415) 555-0100 x204"),
            Ok("+14155550100".to_owned())
        );
    }

    #[test]
    fn issue_15_international_numbers_without_the_regions_conventions_are_read() {
        // See: #15. In a Russian file: `00` (the rest of the world's call prefix), a missing
        // `+` on a North American number, `011` (North America's prefix).
        for (raw, want) in [
            ("0049 160 4067175", "+491604067175"),
            ("0044 7785 231773", "+447785231773"),
            ("1-972-690-6254", "+19726906254"),
            ("011 44 20 7946 0958", "+442079460958"),
            ("810 49 30 901820", "+4930901820"),
        ] {
            assert_eq!(norm("RU", raw), Ok(want.to_owned()), "{raw}");
        }
        // The region's own reading comes first: a valid Russian number stays Russian.
        assert_eq!(norm("RU", "8 916 123-45-67"), Ok("+79161234567".to_owned()));
        // Neither reading valid: still rejected.
        assert_eq!(norm("RU", "0049 1"), Err(RejectReason::PhoneInvalid));
        // A trunk prefix is not a country code: without a region this is no Vietnamese number.
        let none = PhoneNormalizer::new(None).expect("no region is fine");
        assert_eq!(
            none.normalize("84959149328", None),
            Err(RejectReason::PhoneUnparseable)
        );
        assert_eq!(
            none.normalize("49 160 4067175", None),
            Ok("+491604067175".to_owned())
        );
    }

    #[test]
    fn issue_15_us_spellings_and_vanity_numbers_are_read() {
        // See: #15.
        for (raw, want) in [
            ("310/246-1501", "+13102461501"),
            ("(310) 246-1501", "+13102461501"),
            ("310.246.1501 x12", "+13102461501"),
            ("1-800-FLOWERS", "+18003569377"),
        ] {
            assert_eq!(norm("US", raw), Ok(want.to_owned()), "{raw}");
        }
        // A vanity number is international even under another region.
        assert_eq!(norm("RU", "1-800-FLOWERS"), Ok("+18003569377".to_owned()));
    }

    #[test]
    fn issue_15_local_numbers_are_kept_apart_from_e164() {
        // See: #15. Too short for any plan: a local number, never an E.164 number.
        assert_eq!(norm("US", "285-9902"), Err(RejectReason::PhoneInvalid));
        assert_eq!(local_number("285-9902"), Some("2859902".to_owned()));
        assert_eq!(local_number(" 2859902 "), Some("2859902".to_owned()));
        assert_eq!(local_number("534 6361 ext. 4"), Some("5346361".to_owned()));
        for not_local in [
            "1234567",      // a run
            "7777777",      // one digit
            "0301234",      // a trunk prefix: an area code is there
            "+7 123 45",    // international
            "12-34",        // too short
            "310 246 1501", // a whole number
            "CALL 2859902", // words
        ] {
            assert_eq!(local_number(not_local), None, "{not_local}");
        }
    }

    #[test]
    fn issue_15_how_a_number_is_written_points_to_its_region() {
        // See: #15.
        for (raw, want) in [
            ("(310) 246-1501", Some("US")),
            ("310/246-1501", Some("US")),
            ("1-310-246-1501", Some("US")),
            ("8 (916) 123-45-67", Some("RU")),
            ("916 123-45-67", Some("RU")),
            ("0151 23456789", Some("DE")),
            ("07785 231773", Some("GB")),
            ("+1 310 246 1501", None),
            ("2859902", None),
        ] {
            assert_eq!(region_evidence(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn without_a_region_only_plus_numbers_parse() {
        let n = PhoneNormalizer::new(None).expect("no region is fine");
        assert_eq!(
            n.normalize("+7 916 123-45-67", None),
            Ok("+79161234567".to_owned())
        );
        assert_eq!(
            n.normalize("+44 20 7946 0958", None),
            Ok("+442079460958".to_owned())
        );
        assert_eq!(
            n.normalize("8 916 123-45-67", None),
            Err(RejectReason::PhoneUnparseable)
        );
        assert_eq!(
            n.normalize("8 916 123-45-67", Some("RU")),
            Ok("+79161234567".to_owned())
        );
    }

    #[test]
    fn region_hints_in_many_spellings_are_understood() {
        let cases = [
            ("RU", "RU"),
            ("ru", "RU"),
            ("ru_RU", "RU"),
            ("ru-RU", "RU"),
            ("ru_RU.UTF-8", "RU"),
            ("Russia", "RU"),
            ("Россия", "RU"),
            ("РФ", "RU"),
            ("RUS", "RU"),
            ("643", "RU"),
            ("en_US", "US"),
            ("USA", "US"),
            ("США", "US"),
            ("UK", "GB"),
            ("en-GB", "GB"),
            ("Великобритания", "GB"),
            ("Germany", "DE"),
            ("de_DE", "DE"),
            ("Казахстан", "KZ"),
            ("Беларусь", "BY"),
            ("Ukraine", "UA"),
            ("France", "FR"),
            ("Италия", "IT"),
            ("ESP", "ES"),
            ("Türkiye", "TR"),
            ("Китай", "CN"),
        ];
        for (hint, want) in cases {
            assert_eq!(region_code(hint).as_deref(), Some(want), "{hint}");
        }
        for hint in ["", "Narnia", "ZZ", "xx_YY", "1"] {
            assert_eq!(region_code(hint), None, "{hint}");
        }
    }

    #[test]
    fn unknown_default_region_is_an_error() {
        assert!(PhoneNormalizer::new(Some("Narnia")).is_err());
        assert_eq!(
            PhoneNormalizer::new(Some("ru"))
                .expect("ok")
                .default_region(),
            Some("RU".into())
        );
    }

    /// Digits with random separators between them, sometimes parentheses around the area code.
    fn spell(rng: &mut crate::synth::rng::Rng, lead: &str, national: &str) -> String {
        const SEPARATORS: [&str; 8] = ["", "", "", " ", "-", ".", "(", ")"];
        let mut out = String::from(lead);
        if rng.below(3) == 0 {
            out.push(' ');
        }
        let paren = rng.below(3) == 0;
        for (i, c) in national.chars().enumerate() {
            if paren && i == 0 {
                out.push('(');
            } else if paren && i == 3 {
                out.push_str(") ");
            } else if i > 0 {
                out.push_str(SEPARATORS[rng.below(8) as usize]);
            }
            out.push(c);
        }
        out
    }

    #[test]
    fn russian_nines_are_never_fixed_lines_for_libphonenumber() {
        let mut rng = crate::synth::rng::Rng::stream(0x79, 0, 0);
        for prefix in 900..1000u32 {
            for digits in [7, 8, 9, 10] {
                for _ in 0..3 {
                    let rest = rng.below(10u64.pow(digits));
                    let e164 = format!("+7{prefix}{rest:0width$}", width = digits as usize);
                    assert!(!fixed_line_by_library(&e164), "{e164}");
                    assert!(!is_fixed_line(&e164), "{e164}");
                }
            }
        }
        assert!(fixed_line_by_library("+74959149328") && is_fixed_line("+74959149328"));
    }

    /// Derives the foreign fast-path tables (`FOREIGN`) from the metadata: prints, per country
    /// code and national length, the 3-digit prefixes whose every number is valid (all 4th to
    /// 6th digits, random tails). Run after a libphonenumber update:
    /// `cargo test --lib derive_foreign_prefixes -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints the tables; slow"]
    #[allow(
        clippy::print_stdout,
        reason = "a maintainer's tool: its output is the tables"
    )]
    fn derive_foreign_prefixes() {
        let mut rng = crate::synth::rng::Rng::stream(0xF0F0, 1, 2);
        for country in &FOREIGN {
            let code = std::str::from_utf8(country.code).expect("ASCII digits");
            for &(len, _) in country.lengths {
                // Every number of the prefix with these 4th to 6th digits and a random tail.
                let mut all_valid = |prefix: u32, middle: u64| {
                    let national = format!("{prefix}{middle:03}{}", rng.digits(len - 6));
                    let e164 = format!("+{code}{national}");
                    parse_with_library(&e164, None).as_deref() == Ok(e164.as_str())
                };
                let valid: Vec<u32> = (100..1000u32)
                    .filter(|&prefix| {
                        // A quick rejection on 40 spread middles, then all 1000 twice.
                        (0..40).all(|probe| all_valid(prefix, probe * 25))
                            && (0..2000).all(|probe| all_valid(prefix, probe % 1000))
                    })
                    .collect();
                println!("{code} {len}: {valid:?}");
            }
        }
    }

    #[test]
    fn fast_path_agrees_with_libphonenumber() {
        let mut rng = crate::synth::rng::Rng::stream(0x0123_4567_89AB_CDEF, 0, 0);
        let (mut checked, mut fast) = (0, 0);
        let other = [None, Some(Region::GB), Some(Region::DE), Some(Region::KZ)];
        for prefix in 100..1000u32 {
            for _ in 0..6 {
                let national = format!("{prefix}{:07}", rng.below(10_000_000));
                let cases = [
                    (Some(Region::RU), spell(&mut rng, "8", &national)),
                    (Some(Region::RU), spell(&mut rng, "7", &national)),
                    (Some(Region::RU), spell(&mut rng, "", &national)),
                    (Some(Region::RU), spell(&mut rng, "+7", &national)),
                    (
                        other[rng.below(4) as usize],
                        spell(&mut rng, "+7", &national),
                    ),
                    (Some(Region::US), spell(&mut rng, "1", &national)),
                    (Some(Region::US), spell(&mut rng, "", &national)),
                    (Some(Region::US), spell(&mut rng, "+1", &national)),
                    (
                        other[rng.below(4) as usize],
                        spell(&mut rng, "+1", &national),
                    ),
                ];
                for (region, raw) in cases {
                    checked += 1;
                    if let Some(e164) = fast_path(&raw, region) {
                        fast += 1;
                        assert_eq!(
                            parse_with_library(&raw, region),
                            Ok(e164),
                            "{raw:?} in {region:?}"
                        );
                    }
                }
            }
        }
        // The fast path must actually be taken for a good share, or the test proves nothing.
        assert!(
            fast * 4 > checked,
            "fast path taken {fast} of {checked} times"
        );
    }

    #[test]
    fn issue_19_british_german_and_french_spellings_skip_the_library() {
        let cases = [
            ("+44 7400 123456", Some(Region::RU), "+447400123456"),
            ("0044 7400 123456", Some(Region::RU), "+447400123456"),
            ("07400 123456", Some(Region::GB), "+447400123456"),
            ("+49-171-4382915", None, "+491714382915"),
            ("0049 171 4382915", Some(Region::US), "+491714382915"),
            ("0171 4382915", Some(Region::DE), "+491714382915"),
            ("0157 91362077", Some(Region::DE), "+4915791362077"),
            ("+33 6 44 99 12 42", Some(Region::DE), "+33644991242"),
            ("06 44 99 12 42", Some(Region::FR), "+33644991242"),
            ("007 916 123-45-67", Some(Region::RU), "+79161234567"),
        ];
        for (raw, region, want) in cases {
            assert_eq!(fast_path(raw, region).as_deref(), Some(want), "{raw:?}");
            assert_eq!(by_library(raw, region).as_deref(), Ok(want), "{raw:?}");
        }
        // Not every British mobile prefix is valid (`7911` only with 0, 2 or 8 next): the
        // library decides; and a national form under another region is not read as British.
        assert_eq!(fast_path("+44 7911 903412", None), None);
        assert_eq!(fast_path("07400 123456", Some(Region::FR)), None);
        // A digit over the table's length, and `00` under a region whose international
        // prefix it may not be, go to the library.
        assert_eq!(fast_path("+33 6 44 99 12 42 1", None), None);
        assert_eq!(fast_path("06 44 99 12 42 1", Some(Region::FR)), None);
        assert_eq!(fast_path("0044 7400 123456", Some(Region::KZ)), None);
        assert_eq!(
            fast_path("0044 7400 123456", Some(Region::GB)).as_deref(),
            Some("+447400123456")
        );
    }

    #[test]
    fn foreign_fast_path_agrees_with_libphonenumber() {
        let mut rng = crate::synth::rng::Rng::stream(0x7E57_F0E1, 0, 0);
        // The regions the `00` forms are read under, and three where they are not.
        let regions = [
            None,
            Some(Region::RU),
            Some(Region::US),
            Some(Region::GB),
            Some(Region::DE),
            Some(Region::FR),
            Some(Region::KZ),
            Some(Region::IT),
            Some(Region::CN),
        ];
        let (mut checked, mut fast) = (0, 0);
        let mut check = |raw: String, region: Option<Region>| {
            checked += 1;
            if let Some(e164) = fast_path(&raw, region) {
                fast += 1;
                assert_eq!(by_library(&raw, region), Ok(e164), "{raw:?} in {region:?}");
            }
        };
        for country in &FOREIGN {
            let code = std::str::from_utf8(country.code).unwrap();
            for &(len, _) in country.lengths {
                for prefix in 100..1000u32 {
                    let national = format!("{prefix}{}", rng.digits(len - 3));
                    let other = *rng.pick(&regions);
                    check(spell(&mut rng, &format!("+{code}"), &national), other);
                    check(spell(&mut rng, &format!("00{code}"), &national), other);
                    check(spell(&mut rng, "0", &national), Some(country.region));
                    check(spell(&mut rng, "0", &national), other);
                    // A digit short or a digit over: only the table's length is read.
                    let short = &national[..len - 1];
                    let long = format!("{national}{}", rng.digits(1));
                    check(spell(&mut rng, &format!("+{code}"), short), other);
                    check(spell(&mut rng, &format!("00{code}"), &long), other);
                    check(spell(&mut rng, "0", &long), Some(country.region));
                }
            }
        }
        for prefix in 100..1000u32 {
            let national = format!("{prefix}{:07}", rng.below(10_000_000));
            let other = *rng.pick(&regions);
            check(spell(&mut rng, "007", &national), other);
            check(spell(&mut rng, "00 1", &national), other);
            check(spell(&mut rng, "+7", &national[..9]), other);
            check(spell(&mut rng, "+1", &format!("{national}5")), other);
        }
        // The fast path must actually be taken for a good share, or the test proves nothing.
        assert!(
            fast * 4 > checked,
            "fast path taken {fast} of {checked} times"
        );
    }

    fn e164_shape(s: &str) -> bool {
        let digits = s.strip_prefix('+').unwrap_or("");
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn local_numbers_are_digits_and_idempotent(raw in "[0-9 ().-]{1,14}") {
            if let Some(local) = local_number(&raw) {
                prop_assert!((5..=8).contains(&local.len()), "{local}");
                prop_assert!(local.bytes().all(|b| b.is_ascii_digit()), "{local}");
                prop_assert_eq!(local_number(&local), Some(local.clone()));
            }
        }

        #[test]
        fn international_readings_are_e164(raw in "(00|011|810|1)?[0-9 -]{8,16}") {
            if let Some(e164) = international_reading(&raw) {
                prop_assert!(e164_shape(&e164), "{raw} -> {e164}");
            }
        }

        #[test]
        fn never_panics(raw in any::<String>(), region in "(RU|US|GB|DE|)") {
            let hint = (!region.is_empty()).then_some(region.as_str());
            let _ = PhoneNormalizer::new(Some("RU")).expect("RU").normalize(&raw, hint);
        }

        #[test]
        fn output_is_e164_and_idempotent(raw in "[+]?[0-9 ()-]{6,18}", region in "(RU|US|GB|DE)") {
            if let Ok(e164) = norm(&region, &raw) {
                prop_assert!(e164_shape(&e164), "{}", e164);
                prop_assert_eq!(norm(&region, &e164), Ok(e164.clone()));
            }
        }

        #[test]
        fn russian_spellings_agree(a in 0u32..1000, b in 0u32..100_000) {
            let mobile = format!("91{a:03}{b:05}");
            let mobile = mobile.as_str();
            let spellings = [
                format!("8 {} {}-{}-{}", &mobile[..3], &mobile[3..6], &mobile[6..8], &mobile[8..]),
                format!("+7 ({}) {}", &mobile[..3], &mobile[3..]),
                format!("7.{}E10", mobile),
                format!("7{mobile}.0"),
                mobile.to_owned(),
            ];
            let want = norm("RU", &spellings[0]);
            prop_assert!(want.is_ok(), "{:?}", want);
            for raw in &spellings[1..] {
                prop_assert_eq!(&norm("RU", raw), &want, "{}", raw);
            }
        }
    }
}
