//! Files on the command line, and `-` for the standard streams: data is read from standard
//! input where a data file is named `-`, and text written to standard output where `--out -`.
//! A closed pipe (`glassbox export … --out - | head`) ends the output quietly, as Unix tools do.

use std::io::{Read as _, Write as _};
use std::path::Path;

use crate::data::{Dataset, LoadOptions};
use crate::project::DataRef;

/// How standard input is named in messages.
pub const STDIN_NAME: &str = "standard input";

/// True for the path `-`.
pub fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A data file (or standard input) as read, with the options used and what a project records.
pub struct Input {
    /// The data.
    pub dataset: Dataset,
    /// How it was read.
    pub options: LoadOptions,
    /// What a project records of it.
    pub data_ref: DataRef,
}

/// Reads a data file, or standard input for `-`, as `read` asks (detecting the rest).
///
/// # Errors
/// When the data cannot be read; the message names the file (or standard input) once.
pub fn read_input(path: &Path, read: &super::ReadArgs) -> anyhow::Result<Input> {
    if is_dash(path) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("reading the data from {STDIN_NAME} failed: {e}"))?;
        let options = read.load_options(bytes.get(..256 * 1024).unwrap_or(&bytes))?;
        let data_ref = DataRef::of_bytes(path, &bytes, options.clone());
        let dataset =
            crate::data::load_bytes(bytes, Path::new(STDIN_NAME), &options, &crate::progress::Progress::new())?;
        return Ok(Input { dataset, options, data_ref });
    }
    let mut head = vec![0u8; 256 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    head.truncate(n);
    let options = read.load_options(&head)?;
    let dataset = crate::data::load_file(path, &options, &crate::progress::Progress::new())?;
    let data_ref = DataRef::of_file(path, options.clone())?;
    Ok(Input { dataset, options, data_ref })
}

/// Writes text to `path`, or to standard output for `-`.
///
/// # Errors
/// When the file cannot be written (standard output closing early is not an error).
pub fn write_output(path: &Path, text: &str) -> anyhow::Result<()> {
    if is_dash(path) {
        return print_text(text);
    }
    crate::project::write_atomically(path, text.as_bytes())?;
    Ok(())
}

/// Prints text on standard output; a reader that stops early (`| head`) ends it quietly.
///
/// # Errors
/// When standard output fails for another reason.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("writing to standard output failed: {e}"))
        }
        _ => Ok(()),
    }
}

/// Refuses `-` where the output is a file that cannot go to a stream (a project, which is
/// written atomically and read back by later commands).
///
/// # Errors
/// A usage error for `-`.
pub fn refuse_dash(flag: &str, path: &Path, what: &str) -> anyhow::Result<()> {
    if is_dash(path) {
        return Err(super::usage!("{flag} - cannot write {what} to standard output; give a file name"));
    }
    Ok(())
}

/// A path as messages name it: `standard output` for `-`.
pub fn shown(path: &Path) -> String {
    if is_dash(path) { "standard output".to_owned() } else { path.display().to_string() }
}
