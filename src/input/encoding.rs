//! Text encodings: sniffing a file's encoding and decoding it to UTF-8 as a stream.
//!
//! [`sniff`] looks at the first bytes of a file (up to [`SNIFF_LEN`]): a byte order mark decides
//! (UTF-8, UTF-16 LE/BE); otherwise a sample that is valid UTF-8 (a multibyte character cut by the
//! end of the sample is allowed) is UTF-8, and anything else is Windows-1251, the code page Excel
//! uses when it saves Cyrillic CSV. [`decode`] then wraps a byte reader so that it yields UTF-8.
//!
//! UTF-8 input is passed through untouched (no transcoding copy): the CSV reader gets the file's
//! own bytes, and a field that turns out not to be valid UTF-8 later in the file (past the sample,
//! or in a file forced to UTF-8) is converted lossily, with U+FFFD for the bad bytes, when the
//! field becomes a `String`. Other encodings go through `encoding_rs` in fixed-size chunks, so no
//! file is ever loaded whole. This module does not guess among single-byte code pages (1251 vs
//! 1252 vs KOI8-R) and does not detect UTF-16 without a BOM; `--encoding` forces those.

use std::io::{self, Read};

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252};

use super::EncodingChoice;

/// How many leading bytes [`sniff`] wants to see (1 MiB).
pub const SNIFF_LEN: usize = 1 << 20;

/// The encoding chosen for one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniffed {
    /// The decoder to use; `None` means UTF-8, passed through as bytes.
    pub encoding: Option<&'static Encoding>,
    /// The name reported in `Format.encoding`: `utf-8`, `utf-8-bom`, `windows-1251`, `utf-16le`,
    /// ...
    pub label: &'static str,
    /// Length of the byte order mark to skip before decoding (0, 2 or 3).
    pub bom_len: usize,
}

impl Sniffed {
    fn utf8(bom_len: usize) -> Sniffed {
        let label = if bom_len > 0 { "utf-8-bom" } else { "utf-8" };
        Sniffed {
            encoding: None,
            label,
            bom_len,
        }
    }

    fn decoded(encoding: &'static Encoding, label: &'static str, bom_len: usize) -> Sniffed {
        Sniffed {
            encoding: Some(encoding),
            label,
            bom_len,
        }
    }
}

/// Chooses the encoding of a file from its first bytes. `at_eof` says the sample is the whole
/// file, so that a multibyte character cut at its end is a real error rather than the sample's
/// edge. A forced `choice` still honours (skips) a matching BOM.
pub fn sniff(sample: &[u8], at_eof: bool, choice: EncodingChoice) -> Sniffed {
    let bom = bom_of(sample);
    match choice {
        EncodingChoice::Auto => match bom {
            Some(found) => found,
            None if is_utf8(sample, at_eof) => Sniffed::utf8(0),
            None => Sniffed::decoded(WINDOWS_1251, "windows-1251", 0),
        },
        EncodingChoice::Utf8 => {
            let bom_len = if bom.is_some_and(|b| b.label == "utf-8-bom") {
                3
            } else {
                0
            };
            Sniffed::utf8(bom_len)
        }
        EncodingChoice::Cp1251 => Sniffed::decoded(WINDOWS_1251, "windows-1251", 0),
        EncodingChoice::Cp1252 => Sniffed::decoded(WINDOWS_1252, "windows-1252", 0),
        EncodingChoice::Utf16 => match bom {
            Some(found) if found.encoding.is_some() => found,
            _ => Sniffed::decoded(UTF_16LE, "utf-16le", 0),
        },
    }
}

fn bom_of(sample: &[u8]) -> Option<Sniffed> {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some(Sniffed::utf8(3))
    } else if sample.starts_with(&[0xFF, 0xFE]) {
        Some(Sniffed::decoded(UTF_16LE, "utf-16le", 2))
    } else if sample.starts_with(&[0xFE, 0xFF]) {
        Some(Sniffed::decoded(UTF_16BE, "utf-16be", 2))
    } else {
        None
    }
}

/// True when `sample` is valid UTF-8, allowing an incomplete character at its very end unless
/// the sample is the whole file.
fn is_utf8(sample: &[u8], at_eof: bool) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        // `error_len() == None` means "valid so far, but the input ended mid-character".
        Err(e) => e.error_len().is_none() && !at_eof && sample.len() - e.valid_up_to() < 4,
    }
}

/// Wraps `inner` (positioned at the start of the file) so that it yields UTF-8: skips the BOM,
/// then passes UTF-8 through or decodes chunk by chunk. Malformed input in a decoded encoding
/// becomes U+FFFD.
pub fn decode<R: Read + Send + 'static>(
    mut inner: R,
    sniffed: Sniffed,
) -> io::Result<Box<dyn Read + Send>> {
    let mut bom = [0u8; 3];
    inner.read_exact(&mut bom[..sniffed.bom_len])?;
    Ok(match sniffed.encoding {
        None => Box::new(inner),
        Some(encoding) => Box::new(DecodeReader::new(inner, encoding)),
    })
}

const CHUNK: usize = 64 * 1024;

/// A `Read` adaptor that transcodes `inner` from a non-UTF-8 encoding to UTF-8 in chunks.
/// Written here rather than taken from `encoding_rs_io` because it is about 50 lines and the
/// UTF-8 pass-through case, the common one, needs no adaptor at all.
struct DecodeReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    input_done: bool,
    finished: bool,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodeReader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; CHUNK],
            in_start: 0,
            in_end: 0,
            // Room for a full chunk of 1-byte input turning into 3-byte UTF-8 (Cyrillic is 2).
            output: vec![0; CHUNK * 3 + 16],
            out_start: 0,
            out_end: 0,
            input_done: false,
            finished: false,
        }
    }

    /// Decodes the next chunk into `output`. Returns false when everything has been decoded.
    fn refill(&mut self) -> io::Result<bool> {
        while !self.finished {
            if self.in_start == self.in_end && !self.input_done {
                self.in_start = 0;
                self.in_end = read_retrying(&mut self.inner, &mut self.input)?;
                self.input_done = self.in_end == 0;
            }
            let src = &self.input[self.in_start..self.in_end];
            let (result, read, written, _) =
                self.decoder
                    .decode_to_utf8(src, &mut self.output, self.input_done);
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            if self.input_done && result == encoding_rs::CoderResult::InputEmpty {
                self.finished = true;
            }
            if written > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_start == self.out_end && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

/// `read`, retried on `Interrupted`.
pub(crate) fn read_retrying<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], choice: EncodingChoice) -> (String, &'static str) {
        let sniffed = sniff(bytes, true, choice);
        let mut out = Vec::new();
        decode(io::Cursor::new(bytes.to_vec()), sniffed)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        (String::from_utf8(out).unwrap(), sniffed.label)
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let bytes = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            out.extend_from_slice(&bytes);
        }
        out
    }

    #[test]
    fn encodings_are_sniffed_and_decoded() {
        let text = "имя;телефон\nАнна;+7 916\n";
        let cp1251 = WINDOWS_1251.encode(text).0.into_owned();
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let cases: Vec<(&str, Vec<u8>, EncodingChoice, &str)> = vec![
            (
                "plain ascii",
                b"a,b\n1,2\n".to_vec(),
                EncodingChoice::Auto,
                "utf-8",
            ),
            (
                "utf-8",
                text.as_bytes().to_vec(),
                EncodingChoice::Auto,
                "utf-8",
            ),
            (
                "utf-8 with BOM",
                with_bom.clone(),
                EncodingChoice::Auto,
                "utf-8-bom",
            ),
            (
                "forced utf-8 still skips BOM",
                with_bom,
                EncodingChoice::Utf8,
                "utf-8-bom",
            ),
            (
                "cp1251",
                cp1251.clone(),
                EncodingChoice::Auto,
                "windows-1251",
            ),
            (
                "forced cp1251",
                cp1251,
                EncodingChoice::Cp1251,
                "windows-1251",
            ),
            (
                "utf-16le BOM",
                utf16(text, false),
                EncodingChoice::Auto,
                "utf-16le",
            ),
            (
                "utf-16be BOM",
                utf16(text, true),
                EncodingChoice::Auto,
                "utf-16be",
            ),
            (
                "forced utf-16 with BOM",
                utf16(text, true),
                EncodingChoice::Utf16,
                "utf-16be",
            ),
        ];
        for (name, bytes, choice, label) in cases {
            let (decoded, got_label) = decode_all(&bytes, choice);
            assert_eq!(got_label, label, "{name}");
            let expected = if name == "plain ascii" {
                "a,b\n1,2\n"
            } else {
                text
            };
            assert_eq!(decoded, expected, "{name}");
        }
    }

    #[test]
    fn cut_multibyte_char_at_sample_end_is_still_utf8() {
        let text = "имя".as_bytes();
        let cut = &text[..text.len() - 1];
        assert_eq!(sniff(cut, false, EncodingChoice::Auto).label, "utf-8");
        assert_eq!(sniff(cut, true, EncodingChoice::Auto).label, "windows-1251");
    }

    #[test]
    fn long_cp1251_input_decodes_across_chunks() {
        let text = "Ёлка,Щука\n".repeat(20_000);
        let bytes = WINDOWS_1251.encode(&text).0.into_owned();
        assert!(bytes.len() > CHUNK);
        let (decoded, label) = decode_all(&bytes, EncodingChoice::Auto);
        assert_eq!(label, "windows-1251");
        assert_eq!(decoded, text);
    }
}
