//! The dialect of a delimited file, guessed from its first bytes: separator, quoting, decimal
//! comma, header and encoding; and splitting a single line into fields for sniffing and headers.

// Offsets into a line come from scanning that line, so every slice stays inside it.
#![allow(clippy::indexing_slicing)]

use super::CsvOptions;
use super::encoding::{decode_lossy, detect_encoding};

/// Guesses how to read a delimited text file from its first bytes.
pub fn sniff_csv(head: &[u8]) -> CsvOptions {
    let encoding = detect_encoding(head);
    let text = decode_lossy(head, encoding);
    // Drop a last line that may be cut off.
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(200).collect();
    let complete = if lines.len() > 2 { &lines[..lines.len() - 1] } else { &lines[..] };

    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .map(|d| (d, consistency(complete, d)))
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))
        .filter(|(_, score)| *score > 0.0)
        .map_or(b',', |(d, _)| d);

    let fields: Vec<Vec<String>> = complete.iter().map(|l| split_record(l, delimiter, Some(b'"'))).collect();
    let body = fields.get(1..).unwrap_or_default();
    let decimal_comma = delimiter != b',' && {
        let (comma, dot) = body.iter().flatten().fold((0, 0), |(c, d), f| {
            let f = f.trim();
            let numeric = !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit() || b"+-.,eE".contains(&b));
            (c + usize::from(numeric && f.contains(',')), d + usize::from(numeric && f.contains('.')))
        });
        comma > dot
    };
    let has_header = match (fields.first(), fields.get(1)) {
        (Some(first), Some(second)) => {
            let numeric = |s: &str| crate::data::typing::parse_number(s, decimal_comma).is_some();
            // A header has a text where the data below has a number, or is all text.
            first.iter().zip(second).any(|(a, b)| !numeric(a) && numeric(b)) || first.iter().all(|a| !numeric(a))
        }
        _ => true,
    };
    CsvOptions { delimiter, quote: Some(b'"'), decimal_comma, has_header, encoding, skip_lines: 0 }
}

/// How regularly `d` splits the lines: the share of lines whose field count equals the most
/// common count, weighted by that count being more than one.
fn consistency(lines: &[&str], d: u8) -> f64 {
    if lines.is_empty() {
        return 0.0;
    }
    let counts: Vec<usize> = lines.iter().map(|l| split_record(l, d, Some(b'"')).len()).collect();
    let mut freq = std::collections::BTreeMap::new();
    for &c in &counts {
        *freq.entry(c).or_insert(0usize) += 1;
    }
    let Some((&mode, &n)) = freq.iter().max_by_key(|(c, n)| (**n, **c)) else { return 0.0 };
    if mode < 2 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let share = n as f64 / lines.len() as f64;
    #[allow(clippy::cast_precision_loss)]
    let width = (mode as f64).ln();
    share * (1.0 + width)
}

/// Splits one line into fields (quotes removed, doubled quotes unescaped); for sniffing and
/// headers, not for the bulk of the file.
pub fn split_record(line: &str, delimiter: u8, quote: Option<u8>) -> Vec<String> {
    let d = char::from(delimiter);
    let q = quote.map(char::from);
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if Some(c) == q {
            if in_quotes && chars.peek().copied() == q {
                field.push(c);
                chars.next();
            } else {
                in_quotes = !in_quotes;
            }
        } else if c == d && !in_quotes {
            fields.push(std::mem::take(&mut field));
        } else if c != '\r' || in_quotes {
            field.push(c);
        }
    }
    fields.push(field);
    fields
}
