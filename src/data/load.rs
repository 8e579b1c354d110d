//! Opening a data file: size limit, reading with progress, format detection, dispatch.

use std::io::Read as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Dataset;
use super::csv::{CsvOptions, read_csv, sniff_csv};
use super::excel::read_excel;
use super::parquet::read_parquet;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// Largest file Glassbox opens. Reading takes about three times the file's size in memory at
/// its peak; beyond this a workstation would swap, so the user is asked to split or sample.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// File formats Glassbox reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Delimited text: CSV, TSV, semicolon-separated.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// A spreadsheet workbook (xlsx, xlsm, xls, ods).
    Excel,
}

/// How to read a file. `None` fields are detected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadOptions {
    /// The format; detected from the content and extension when `None`.
    pub format: Option<FileFormat>,
    /// Delimited-text settings; sniffed from the file when `None`.
    pub csv: Option<CsvOptions>,
    /// The sheet of a workbook; the first with data when `None`.
    pub sheet: Option<String>,
    /// Read at most this many data rows (for previews).
    pub row_limit: Option<usize>,
}

/// The format of a file from its first bytes, then its extension.
pub fn detect_format(path: &Path, head: &[u8]) -> FileFormat {
    if head.starts_with(b"PAR1") {
        return FileFormat::Parquet;
    }
    // Zip (xlsx, ods) or OLE compound document (xls).
    if head.starts_with(b"PK\x03\x04") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return FileFormat::Excel;
    }
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "parquet" | "pq" => FileFormat::Parquet,
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => FileFormat::Excel,
        _ => FileFormat::Csv,
    }
}

/// Reads a data file into a dataset, reporting progress and stopping on cancel.
///
/// # Errors
/// A clear message naming the file (and row and column where it applies) for anything that
/// stops the load: missing or unreadable file, over the size limit, empty, binary, ragged.
pub fn load_file(path: &Path, opts: &LoadOptions, progress: &Progress) -> Result<Dataset> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("opening the file", path, e))?;
    if meta.is_dir() {
        return Err(Error::in_file("this is a folder, not a data file", path));
    }
    let size = meta.len();
    if size > MAX_FILE_BYTES && opts.row_limit.is_none() {
        #[allow(clippy::cast_precision_loss)]
        let (gb, max_gb) = (size as f64 / 1e9, MAX_FILE_BYTES as f64 / 1e9);
        return Err(Error::in_file(
            format!(
                "the file is {gb:.1} GB; Glassbox opens files up to {max_gb:.1} GB. \
                 Split it, or export a sample or a shorter time range"
            ),
            path,
        ));
    }
    progress.set_stage("reading file");
    let bytes = read_with_progress(path, size, opts.row_limit, &progress.sub(0.0, 0.3))?;
    let mut ds = load_bytes(bytes, path, opts, &progress.sub(0.3, 1.0))?;
    ds.source = Some(path.to_path_buf());
    progress.set(1.0);
    Ok(ds)
}

/// Reads the file in chunks so progress moves and a cancel is honoured. With a row limit only
/// the head of a text file is read.
fn read_with_progress(path: &Path, size: u64, row_limit: Option<usize>, progress: &Progress) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io("opening the file", path, e))?;
    let want = match row_limit {
        // A preview needs the head only; a generous 64 KiB per hundred rows covers long rows.
        Some(rows) if detect_format_of_head(path) == FileFormat::Csv => {
            size.min(((rows as u64).max(100) / 100 + 1) * 64 * 1024)
        }
        _ => size,
    };
    read_expected(file, want, size, path, progress)
}

/// Reads `want` bytes of a file whose size was `size` when opened. A read error (a network
/// share that went away, a file deleted under us) or a file that ends early is reported; a
/// head read keeps whole lines only.
fn read_expected(
    mut reader: impl std::io::Read,
    want: u64,
    size: u64,
    path: &Path,
    progress: &Progress,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    loop {
        progress.check()?;
        // Straight into the buffer's free room, 4 MiB at a time so progress moves.
        let n = match (&mut reader).take(4 << 20).read_to_end(&mut bytes) {
            Ok(n) => n,
            Err(e) => return Err(Error::io("reading the file", path, e)),
        };
        if n == 0 {
            break;
        }
        #[allow(clippy::cast_precision_loss)]
        progress.set(bytes.len() as f64 / want.max(1) as f64);
        if bytes.len() as u64 >= want {
            break;
        }
    }
    if want < size {
        // A preview reads the head only: keep whole lines.
        if let Some(last) = memchr::memrchr(b'\n', &bytes) {
            bytes.truncate(last + 1);
        }
    } else if (bytes.len() as u64) < size {
        return Err(Error::in_file(
            format!(
                "the file ended after {} of its {size} bytes while it was read; \
                 is another program writing or removing it?",
                bytes.len()
            ),
            path,
        ));
    }
    Ok(bytes)
}

fn detect_format_of_head(path: &Path) -> FileFormat {
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    detect_format(path, head.get(..n).unwrap_or(&head))
}

/// Reads a dataset from bytes already in memory; `path` names the source in messages.
///
/// # Errors
/// As [`load_file`].
pub fn load_bytes(bytes: Vec<u8>, path: &Path, opts: &LoadOptions, progress: &Progress) -> Result<Dataset> {
    let format = opts.format.unwrap_or_else(|| detect_format(path, bytes.get(..8).unwrap_or(&bytes)));
    let mut ds = match format {
        FileFormat::Csv => {
            let csv = opts.csv.clone().unwrap_or_else(|| sniff_csv(bytes.get(..256 * 1024).unwrap_or(&bytes)));
            read_csv(bytes, &csv, opts.row_limit, path, progress)?
        }
        FileFormat::Parquet => read_parquet(bytes, opts.row_limit, path, progress)?,
        FileFormat::Excel => read_excel(bytes, opts.sheet.as_deref(), opts.row_limit, path, progress)?,
    };
    ds.source = Some(path.to_path_buf());
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Delivers `data`, then fails as a file on a vanished network share does.
    struct Vanishing<'a> {
        data: &'a [u8],
    }

    impl std::io::Read for Vanishing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.data.is_empty() {
                return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "the file disappeared"));
            }
            let n = buf.len().min(self.data.len()).min(3);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_file_that_disappears_while_read_gets_a_message() {
        let r = Vanishing { data: b"a,b\n1,2\n" };
        let e = read_expected(r, 100, 100, Path::new("plant.csv"), &Progress::new()).expect_err("fails");
        let m = e.to_string();
        assert!(m.contains("reading the file failed") && m.contains("disappeared") && m.contains("plant.csv"), "{m}");
    }

    #[test]
    fn a_file_that_shrinks_while_read_gets_a_message() {
        let e =
            read_expected(&b"a,b\n1,2\n"[..], 100, 100, Path::new("plant.csv"), &Progress::new()).expect_err("fails");
        assert!(e.to_string().contains("ended after 8 of its 100 bytes"), "{e}");
    }

    #[test]
    fn a_head_read_keeps_whole_lines() {
        let bytes = read_expected(&b"a,b\n1,2\n3,"[..], 11, 20, Path::new("p.csv"), &Progress::new()).expect("reads");
        assert_eq!(bytes, b"a,b\n1,2\n");
    }
}
