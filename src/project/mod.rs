//! The project file (`.glassbox`): versioned JSON holding the data reference (path, size,
//! content hash, import settings), the column roles, the trained model with its settings and
//! evaluation, and everything later work adds (rule sets, scenarios, plans).
//!
//! Saving is atomic: the JSON goes to a temporary file in the same folder, is flushed to disk,
//! and then renamed over the old file, so a crash during a save leaves the old project intact.
//! Loading is bounded (size, nesting) so an untrusted file cannot eat the machine.
//!
//! A project keeps the history of its models ([`history`]): retraining ([`retrain`]) adds a
//! version and any earlier one can be restored. A project can be copied without the plant's
//! data ([`share`]) and saved encrypted under a passphrase ([`crypto`]).

pub mod crypto;
pub mod history;
pub mod newdata;
pub mod retrain;
pub mod share;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::data::{Dataset, LoadOptions, Role, load_file};
use crate::error::{Error, Result};
use crate::model::train::TrainingReport;
use crate::progress::Progress;

/// What the `format` field of every project file says.
pub const FORMAT: &str = "glassbox-project";

/// The version this build writes. Older versions are migrated on load; newer ones refused.
///
/// - 1: the first layout.
/// - 2: a tree's `max_depth` counts splits from the root (scikit-learn's meaning); version 1
///   recorded the learner's level count, one more. The layout is otherwise the same.
/// - 3: the model history (`history`), data files appended by a retrain (`appended`) and the
///   mark of a model-only copy (`copy`). Older files open with a history of one entry built
///   from the model they hold.
pub const VERSION: u32 = 3;

/// Largest project file Glassbox reads.
pub const MAX_PROJECT_BYTES: u64 = 512 * 1024 * 1024;

/// Where the project's data lives and how it was read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataRef {
    /// The data file as it was opened (absolute when known).
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its content, hex.
    pub sha256: String,
    /// How it was read.
    #[serde(default)]
    pub options: LoadOptions,
    /// The data file relative to the project file's folder, `/` between folders, written when
    /// the project is saved: how the data is found when both moved together, or when the
    /// project was saved on another system (see [`crate::paths`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative: Option<String>,
}

/// Two references are the same data read the same way; where the data lies relative to the
/// project file is derived from the file's location and takes no part.
impl PartialEq for DataRef {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.size == other.size
            && self.sha256 == other.sha256
            && self.options == other.options
    }
}

impl Eq for DataRef {}

/// The path a project records for the sample data bundled into the binary.
pub const SAMPLE_PATH: &str = "glassbox-sample:ai4i2020.csv";

impl DataRef {
    /// The bundled sample data.
    pub fn sample() -> Self {
        let mut hasher = Sha256::new();
        hasher.update(crate::sample::SAMPLE_CSV);
        Self {
            path: PathBuf::from(SAMPLE_PATH),
            size: crate::sample::SAMPLE_CSV.len() as u64,
            sha256: hex(&hasher.finalize()),
            options: LoadOptions::default(),
            relative: None,
        }
    }

    /// True for the bundled sample data.
    pub fn is_sample(&self) -> bool {
        self.path.as_os_str() == SAMPLE_PATH
    }

    /// Describes data that came as bytes rather than from a file (standard input): `path` says
    /// so (`-`), and the hash still tells whether later data is the same.
    pub fn of_bytes(path: &Path, bytes: &[u8], options: LoadOptions) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(bytes);
        Self {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            sha256: hex(&hasher.finalize()),
            options,
            relative: None,
        }
    }

    /// Describes a data file as it is now.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn of_file(path: &Path, options: LoadOptions) -> Result<Self> {
        let (size, sha256) = hash_file(path)?;
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(Self { path, size, sha256, options, relative: None })
    }
}

/// SHA-256 and size of a file, read in chunks.
///
/// # Errors
/// When the file cannot be read.
pub fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("opening the data file", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| Error::io("reading the data file", path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A column's role as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRole {
    /// Column name.
    pub column: String,
    /// Its role.
    pub role: Role,
}

/// A whole project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Always [`FORMAT`].
    pub format: String,
    /// File format version.
    pub version: u32,
    /// The Glassbox version that wrote it.
    #[serde(default)]
    pub created_with: String,
    /// The data.
    pub data: Option<DataRef>,
    /// Data files whose rows were appended to `data`, in order (by a retrain with new rows); the
    /// model's rows are numbered through all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub appended: Vec<DataRef>,
    /// Column roles.
    #[serde(default)]
    pub roles: Vec<SavedRole>,
    /// The trained model with its settings and evaluation.
    #[serde(default)]
    pub model: Option<TrainingReport>,
    /// The rule set the user accepted (simplified, rounded), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<crate::rules::RuleSet>,
    /// What-if scenarios, in the order they were made.
    #[serde(default)]
    pub scenarios: Vec<crate::plan::Scenario>,
    /// Production plans scored with the model.
    #[serde(default)]
    pub plans: Vec<crate::plan::SavedPlan>,
    /// Every model the project has held, oldest first; the last describes `model`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<history::ModelVersion>,
    /// Set in a model-only copy (no data, no rows): what it is and what was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<share::CopyInfo>,
    /// Parts added by later features that this build does not know, kept as they are.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The folder the project file was read from (not saved, not part of its content): where
    /// its data is looked for when the recorded path does not exist here.
    #[serde(skip)]
    pub folder: Folder,
    /// The passphrase the project was opened or is to be saved with (not saved, not part of
    /// its content): when set, [`Project::save`] writes the file encrypted.
    #[serde(skip)]
    pub sealing: Sealing,
}

/// The passphrase a project is saved under, if any. Like [`Folder`], it is how the file is
/// kept, not what the project holds: two projects compare equal whatever their passphrases.
#[derive(Debug, Clone, Default)]
pub struct Sealing(pub Option<std::sync::Arc<crypto::Passphrase>>);

impl PartialEq for Sealing {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Sealing {
    /// True when the project is saved encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.0.is_some()
    }
}

/// The folder a project file was read from. It is where the file happens to be, not what the
/// project holds, so two projects with the same content are equal wherever they were read.
#[derive(Debug, Clone, Default)]
pub struct Folder(pub Option<PathBuf>);

impl PartialEq for Folder {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Default for Project {
    fn default() -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            created_with: env!("CARGO_PKG_VERSION").into(),
            data: None,
            appended: Vec::new(),
            roles: Vec::new(),
            model: None,
            rule_set: None,
            scenarios: Vec::new(),
            plans: Vec::new(),
            history: Vec::new(),
            copy: None,
            extra: serde_json::Map::new(),
            folder: Folder::default(),
            sealing: Sealing::default(),
        }
    }
}

impl Project {
    /// A project for a dataset read from `data` (roles taken from the dataset).
    pub fn new(data: Option<DataRef>, ds: &Dataset) -> Self {
        Self {
            data,
            roles: ds.columns.iter().map(|c| SavedRole { column: c.name.clone(), role: c.role }).collect(),
            ..Self::default()
        }
    }

    /// Writes the project atomically (encrypted when it has a passphrase, see [`Sealing`]).
    ///
    /// # Errors
    /// When the folder is not writable or the disk is full (the old file is then untouched).
    pub fn save(&self, path: &Path) -> Result<()> {
        let relative_of = |d: &DataRef| {
            if d.is_sample() || !d.path.is_absolute() {
                return None;
            }
            let dir = std::path::absolute(path).ok()?.parent()?.to_path_buf();
            crate::paths::relative_to(&dir, &std::path::absolute(&d.path).ok()?)
        };
        let moved = self.data.iter().chain(&self.appended).any(|d| d.relative != relative_of(d));
        let json = if moved {
            let mut copy = self.clone();
            for d in copy.data.iter_mut().chain(copy.appended.iter_mut()) {
                d.relative = relative_of(d);
            }
            serde_json::to_vec_pretty(&copy)
        } else {
            serde_json::to_vec_pretty(self)
        }
        .map_err(|e| Error::invalid(format!("cannot write the project: {e}")))?;
        match &self.sealing.0 {
            Some(passphrase) => write_atomically(path, &crypto::seal(&json, passphrase)?),
            None => write_atomically(path, &json),
        }
    }

    /// Reads a project file, migrating older versions. An encrypted file is opened with the
    /// passphrase the program was given ([`crypto::remember`]).
    ///
    /// # Errors
    /// A message naming what is wrong: not a project, too large, from a newer Glassbox, or
    /// malformed (with line and column); encrypted without a passphrase, or with a wrong one.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, crypto::remembered().as_ref())
    }

    /// Reads a project file as [`Project::load`] does, opening an encrypted file with
    /// `passphrase`; the project then saves encrypted under it again.
    ///
    /// # Errors
    /// As [`Project::load`].
    pub fn load_with(path: &Path, passphrase: Option<&crypto::Passphrase>) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io("opening the project", path, e))?;
        if meta.len() > MAX_PROJECT_BYTES {
            return Err(Error::in_file(
                format!(
                    "the project file is {} MB; Glassbox reads project files up to {} MB",
                    meta.len() >> 20,
                    MAX_PROJECT_BYTES >> 20
                ),
                path,
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io("reading the project", path, e))?;
        let mut project = if crypto::is_sealed(&bytes) {
            let Some(passphrase) = passphrase else {
                return Err(Error::in_file(
                    "this project file is encrypted: give its passphrase (on the command line with \
                     --passphrase-file FILE or the GLASSBOX_PASSPHRASE environment variable)",
                    path,
                ));
            };
            let plain = crypto::open(&bytes, passphrase, path)?;
            let mut project = Self::from_bytes(&plain, path)?;
            project.sealing = Sealing(Some(std::sync::Arc::new(passphrase.clone())));
            project
        } else {
            Self::from_bytes(&bytes, path)?
        };
        project.folder = Folder(std::path::absolute(path).ok().and_then(|p| p.parent().map(Path::to_path_buf)));
        // Data that moved with the project, or a project from another system: point at where
        // the data is now, so everything that reads or saves the project sees that path.
        let folder = project.folder.0.clone();
        for d in project.data.iter_mut().chain(project.appended.iter_mut()).filter(|d| !d.is_sample()) {
            if let Some(found) = crate::paths::locate_data(&d.path, d.relative.as_deref(), folder.as_deref())
                && found != d.path
            {
                d.path = found;
            }
        }
        Ok(project)
    }

    /// Parses project JSON; `path` names the source in messages.
    ///
    /// # Errors
    /// As [`Project::load`]; encrypted bytes are refused (see [`Project::load_with`]).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        if crypto::is_sealed(bytes) {
            return Err(Error::in_file("this project file is encrypted: open it with its passphrase", path));
        }
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            Error::data(
                format!("this is not a readable project file: {e}"),
                crate::error::Location::file(path).with_row(format!("line {}", e.line())),
            )
        })?;
        let format = value.get("format").and_then(serde_json::Value::as_str).unwrap_or_default();
        if format != FORMAT {
            return Err(Error::in_file(
                "this is not a Glassbox project file (no \"format\": \"glassbox-project\")",
                path,
            ));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if version > u64::from(VERSION) {
            return Err(Error::in_file(
                format!(
                    "this project was saved by a newer Glassbox (file version {version}; this build reads up to {VERSION}). \
                     Open it with that version or newer"
                ),
                path,
            ));
        }
        if version == 0 {
            return Err(Error::in_file("the project file has no valid \"version\"", path));
        }
        let damaged =
            |e: &dyn std::fmt::Display| Error::in_file(format!("the project file is damaged or incomplete: {e}"), path);
        let mut value = value;
        migrate(&mut value, version);
        let mut project: Self = serde_json::from_value(value).map_err(|e| damaged(&e))?;
        // A model whose parts do not fit could index out of range or loop forever when used
        // (or when restored from the history).
        for report in project.model.iter().chain(project.history.iter().filter_map(|v| v.report.as_deref())) {
            report.model.validate().map_err(|e| damaged(&e))?;
        }
        // A file from before the history opens with one entry for the model it holds. (A later
        // file is read as it is, so that it reads back as it was saved.)
        if version < 3 {
            #[allow(clippy::cast_possible_truncation)] // below VERSION, checked above
            project.reconcile_history(version as u32);
        }
        Ok(project)
    }

    /// The trained model with its settings and evaluation.
    ///
    /// # Errors
    /// When the project holds no model yet.
    pub fn trained(&self) -> Result<&TrainingReport> {
        self.model.as_ref().ok_or_else(|| {
            Error::invalid("the project holds no trained model; train one first (`glassbox train` or the Train panel)")
        })
    }

    /// Loads the project's data file, checks it is the same data (by hash) and applies the
    /// saved roles.
    ///
    /// # Errors
    /// When the project has no data, the file is gone, or its content changed since the save.
    pub fn load_data(&self, progress: &Progress) -> Result<Dataset> {
        self.load_data_checked(true, progress)
    }

    /// Loads the project's data file; with `verify` false a changed file is read anyway (the
    /// caller has told the user the model was trained on other data).
    ///
    /// # Errors
    /// When the project has no data or the file cannot be read (or changed, with `verify`).
    pub fn load_data_checked(&self, verify: bool, progress: &Progress) -> Result<Dataset> {
        let data = self.data.as_ref().ok_or_else(|| {
            Error::invalid(if self.copy.is_some() {
                "this copy holds no data: metrics and explanations that need rows are unavailable; commands that \
                 take rows (predict, compare, explain --data) work on a data file with the model's columns"
            } else {
                "the project refers to no data file"
            })
        })?;
        let parts = 1 + self.appended.len();
        #[allow(clippy::cast_precision_loss)]
        let share = |i: usize| i as f64 / parts as f64;
        let (mut ds, found) = self.load_one(data, verify, &progress.sub(0.0, share(1)))?;
        for (i, more) in self.appended.iter().enumerate() {
            let (next, _) = self.load_one(more, verify, &progress.sub(share(i + 1), share(i + 2)))?;
            ds = newdata::append_rows(&ds, &next)?.0;
        }
        // In the data the model was trained on (same hash), the rows it was trained and tested on
        // exist; if not, the project's split is damaged and would quietly explain and score rows
        // of missing values.
        if verify && let Some(report) = &self.model {
            let n = ds.n_rows();
            if let Some(&row) = report.split.train.iter().chain(&report.split.test).find(|&&r| r >= n) {
                return Err(Error::in_file(
                    format!(
                        "the project file is damaged: its model was trained on data row {} but this data file has {n} rows",
                        row.saturating_add(1)
                    ),
                    &found,
                ));
            }
        }
        self.apply_roles(&mut ds);
        Ok(ds)
    }

    /// Finds, checks (with `verify`) and reads one of the project's data files; gives the
    /// dataset and where the file was found.
    fn load_one(&self, data: &DataRef, verify: bool, progress: &Progress) -> Result<(Dataset, PathBuf)> {
        if data.is_sample() {
            return Ok((crate::sample::sample_dataset()?, data.path.clone()));
        }
        if data.path.as_os_str() == "-" {
            return Err(Error::invalid(
                "the project's data came from standard input and was not kept; train from a data file to use the \
                 project's rows (rules, export, planning, explanations without --data)",
            ));
        }
        let Some(found) = crate::paths::locate_data(&data.path, data.relative.as_deref(), self.folder.0.as_deref())
        else {
            return Err(Error::in_file(
                "the project's data file is not there any more, nor beside the project; was it moved?",
                &data.path,
            ));
        };
        let (size, sha) = hash_file(&found)?;
        if verify && sha != data.sha256 {
            return Err(Error::in_file(
                format!(
                    "the data file changed since the project was saved ({} bytes then, {size} now; content hash differs). \
                     Retrain, or restore the original file",
                    data.size
                ),
                &found,
            ));
        }
        let ds = load_file(&found, &data.options, progress)?;
        Ok((ds, found))
    }

    /// Sets the saved roles on a dataset (columns not mentioned keep theirs).
    pub fn apply_roles(&self, ds: &mut Dataset) {
        for r in &self.roles {
            if let Some(i) = ds.column_index(&r.column) {
                ds.set_role(i, r.role);
            }
        }
    }
}

/// Brings a project's JSON from file version `from` to [`VERSION`], in place. Only settings
/// change meaning between versions; fitted models are kept as they are.
fn migrate(value: &mut serde_json::Value, from: u64) {
    if from < 2 {
        // Version 1 recorded a tree's depth limit as smartcore's level count (the root is level
        // 1), so a recorded 6 allowed 5 splits from the root. The tree in the file is the one
        // that setting grew; only the number that describes it changes.
        if let Some(params) = value.pointer_mut("/model/settings/params")
            && params.get("model").and_then(serde_json::Value::as_str) == Some("tree")
            && let Some(depth) = params.get_mut("max_depth")
            && let Some(d) = depth.as_u64()
        {
            *depth = serde_json::Value::from(d.saturating_sub(1));
        }
        // Version 1 gave regression rules a "confidence" (how much narrower their values were
        // than all values); they now report mean, spread and error only.
        if let Some(rule_set) = value.get_mut("rule_set")
            && rule_set.get("task").and_then(serde_json::Value::as_str) == Some("regression")
        {
            let mut stats: Vec<&mut serde_json::Value> = Vec::new();
            if let Some(rules) = rule_set.get_mut("rules").and_then(serde_json::Value::as_array_mut) {
                stats.extend(rules.iter_mut().filter_map(|r| r.get_mut("stats")));
            }
            for s in stats {
                if let Some(o) = s.as_object_mut() {
                    o.remove("confidence");
                }
            }
            if let Some(o) = rule_set.get_mut("default_stats").and_then(serde_json::Value::as_object_mut) {
                o.remove("confidence");
            }
        }
    }
    if let Some(v) = value.get_mut("version") {
        *v = serde_json::Value::from(VERSION);
    }
}

/// Writes `bytes` to `path` so that either the old or the new content is there, never a mix:
/// temporary file in the same folder, flush and sync, rename.
///
/// # Errors
/// When any step fails; the temporary file is removed and the old file left as it was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    let name = path.file_name().map_or_else(|| "project".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable where the platform allows it.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("saving", path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_versions_and_other_files_are_refused_with_a_reason() {
        let p = Path::new("x.glassbox");
        let e = Project::from_bytes(br#"{"format":"glassbox-project","version":99}"#, p).expect_err("newer");
        assert!(e.to_string().contains("newer Glassbox"), "{e}");
        let e = Project::from_bytes(br#"{"hello":1}"#, p).expect_err("not ours");
        assert!(e.to_string().contains("not a Glassbox project"), "{e}");
        let e = Project::from_bytes(b"{\n\"format\": ", p).expect_err("broken");
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn round_trip_and_unknown_parts_are_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("p.glassbox");
        let mut p = Project::default();
        p.extra.insert("future_part".into(), serde_json::json!({"x": 1}));
        p.save(&path).expect("saves");
        let back = Project::load(&path).expect("loads");
        assert_eq!(back, p);
        assert!(std::fs::read_dir(dir.path()).expect("dir").count() == 1, "no temporary file left behind");
    }
}
