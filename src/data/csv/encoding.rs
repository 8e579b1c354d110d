//! Character encodings: detection (byte-order mark, UTF-8 validity, then `chardetng`'s guess
//! among the legacy code pages), decoding to UTF-8 with `encoding_rs`, and refusing binary
//! content before it turns into a screen of garbage.

// Offsets come from scanning the same buffer (a BOM checked with `starts_with`, byte
// positions below its length), so every slice stays inside it.
#![allow(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};

/// Character encodings a plant file may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    Utf8,
    /// Windows-1252, the superset of Latin-1 that Western European Windows PCs write.
    Windows1252,
    /// ISO-8859-15 (Latin-9).
    Latin9,
    /// GBK, the Chinese Windows code page (read as its superset GB18030).
    Gbk,
    /// Shift_JIS, the Japanese Windows code page.
    ShiftJis,
    /// UTF-16, little-endian (Excel's "Unicode text").
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
}

impl TextEncoding {
    /// Every encoding, in the order the import dialog lists them.
    pub const ALL: [Self; 7] =
        [Self::Utf8, Self::Windows1252, Self::Latin9, Self::Gbk, Self::ShiftJis, Self::Utf16Le, Self::Utf16Be];

    /// The name people know.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Windows1252 => "Windows-1252 / Latin-1",
            Self::Latin9 => "ISO-8859-15",
            Self::Gbk => "GBK",
            Self::ShiftJis => "Shift_JIS",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
        }
    }

    fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            Self::Utf8 => encoding_rs::UTF_8,
            Self::Windows1252 => encoding_rs::WINDOWS_1252,
            Self::Latin9 => encoding_rs::ISO_8859_15,
            Self::Gbk => encoding_rs::GB18030,
            Self::ShiftJis => encoding_rs::SHIFT_JIS,
            Self::Utf16Le => encoding_rs::UTF_16LE,
            Self::Utf16Be => encoding_rs::UTF_16BE,
        }
    }

    fn from_encoding(e: &'static encoding_rs::Encoding) -> Self {
        if e == encoding_rs::GBK || e == encoding_rs::GB18030 {
            Self::Gbk
        } else if e == encoding_rs::SHIFT_JIS || e == encoding_rs::EUC_JP {
            Self::ShiftJis
        } else if e == encoding_rs::ISO_8859_15 {
            Self::Latin9
        } else if e == encoding_rs::UTF_8 {
            Self::Utf8
        } else {
            // Every other single-byte guess is closest to what Western plant PCs write.
            Self::Windows1252
        }
    }
}

pub(super) fn detect_encoding(bytes: &[u8]) -> TextEncoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => TextEncoding::Utf8,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => {
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, false);
            TextEncoding::from_encoding(detector.guess(None, chardetng::Utf8Detection::Deny))
        }
    }
}

pub(super) fn decode_lossy(bytes: &[u8], encoding: TextEncoding) -> Cow<'_, str> {
    encoding.encoding().decode_with_bom_removal(bytes).0
}

/// Decodes file bytes to UTF-8 text per `encoding`, refusing binary content.
pub(super) fn decode(bytes: Vec<u8>, encoding: TextEncoding, path: &Path) -> Result<(Vec<u8>, Option<String>)> {
    if encoding == TextEncoding::Utf8 {
        let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
        check_not_binary(&bytes[start..], path)?;
        return match std::str::from_utf8(&bytes[start..]) {
            Ok(_) if start == 0 => Ok((bytes, None)),
            Ok(_) => Ok((bytes[start..].to_vec(), None)),
            Err(e) => {
                let at = start + e.valid_up_to();
                let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count();
                let guess = detect_encoding(&bytes);
                let (text, _, _) = guess.encoding().decode(&bytes);
                let note = format!(
                    "the file is not valid UTF-8 (first bad byte on line {line}); it was read as {}. \
                     Choose another encoding in the import dialog if characters look wrong",
                    guess.label()
                );
                if guess == TextEncoding::Utf8 {
                    return Err(Error::data(
                        "the file is not valid UTF-8 text; choose its encoding in the import dialog",
                        Location::file(path).with_row(format!("line {line}")),
                    ));
                }
                Ok((text.into_owned().into_bytes(), Some(note)))
            }
        };
    }
    if !matches!(encoding, TextEncoding::Utf16Le | TextEncoding::Utf16Be) {
        check_not_binary(&bytes, path)?;
    }
    let (text, _, had_errors) = encoding.encoding().decode(&bytes);
    let note =
        had_errors.then(|| format!("some bytes are not valid {}; they were replaced by '\u{FFFD}'", encoding.label()));
    Ok((text.into_owned().into_bytes(), note))
}

/// Text files have no NUL bytes and few control characters; anything else is refused before it
/// turns into a screen of garbage.
pub(super) fn check_not_binary(bytes: &[u8], path: &Path) -> Result<()> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let controls = head.iter().filter(|&&b| b < 0x09 || (0x0E..0x20).contains(&b)).count();
    if let Some(at) = head.iter().position(|&b| b == 0) {
        return Err(Error::in_file(
            format!(
                "this is not a text file: it holds binary data (a zero byte at offset {at}). \
                 If it is a spreadsheet or Parquet file, give it the .xlsx, .xls or .parquet extension"
            ),
            path,
        ));
    }
    if controls * 100 > head.len().max(1) {
        return Err(Error::in_file("this is not a text file: it holds binary control characters", path));
    }
    Ok(())
}
