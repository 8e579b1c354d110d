//! Saving is atomic, shown by killing a process in the middle of saving.
//!
//! The test starts its own binary again as a child that does nothing but save a project of a
//! few MB to one path, over and over, alternating two versions. The parent kills it (SIGKILL
//! on Unix, `TerminateProcess` on Windows) at varying moments after it started, twenty times,
//! and after every kill checks that the project file reads back as exactly one of the two
//! complete versions, and that any temporary file a killed save left behind can never be taken
//! for a project.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use glassbox::project::Project;

/// Set in the child: the folder to save into. Its presence makes the test act as the saver.
const SAVER_ENV: &str = "GLASSBOX_TEST_ATOMIC_SAVER_DIR";
/// The project the child saves.
const PROJECT: &str = "plant.glassbox";
/// Created by the child just before its first save.
const STARTED: &str = "saver-started";
/// How often the parent kills a saver.
const KILLS: usize = 20;

/// Version `which` (0 or 1) of the project: they differ in content and in length, so a file
/// mixing the two, or cut short, matches neither.
fn version(which: usize) -> Project {
    let mut p = Project::default();
    let (fill, mb) = if which == 0 { ('a', 3) } else { ('b', 5) };
    p.extra.insert("version_mark".into(), serde_json::json!(which));
    p.extra.insert("payload".into(), serde_json::json!(fill.to_string().repeat(mb << 20)));
    p
}

/// The child: save the two versions in turn until killed. Stops by itself once the folder is
/// gone (the parent finished or failed) or after many saves, so it cannot outlive the test.
fn act_as_saver(dir: &Path) {
    let versions = [version(0), version(1)];
    let path = dir.join(PROJECT);
    // Begin with the version that is not on disk, so that every save changes the file.
    let on_disk =
        Project::load(&path).ok().and_then(|p| p.extra.get("version_mark").and_then(serde_json::Value::as_u64));
    let first = usize::from(on_disk == Some(0));
    if std::fs::write(dir.join(STARTED), b"").is_err() {
        return;
    }
    for project in versions.iter().cycle().skip(first).take(10_000) {
        if project.save(&path).is_err() {
            return;
        }
    }
}

/// This test's name as the test harness knows it (`atomic_save::…`).
fn own_test_name() -> String {
    let module = module_path!().split_once("::").map_or(module_path!(), |(_, m)| m);
    format!("{module}::a_killed_save_leaves_one_whole_version")
}

#[test]
fn a_killed_save_leaves_one_whole_version() {
    if let Some(dir) = std::env::var_os(SAVER_ENV) {
        act_as_saver(Path::new(&dir));
        return;
    }
    if !cfg!(any(unix, windows)) {
        eprintln!("SKIPPED: killing a child process mid-save is only set up for Unix and Windows");
        return;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("SKIPPED: cannot find the test binary to run it as a saver: {e}");
            return;
        }
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join(PROJECT);
    // The exact bytes of each complete version, as `save` writes them.
    let expected: Vec<Vec<u8>> = (0..2)
        .map(|which| {
            let p = dir.path().join(format!("reference{which}.json"));
            version(which).save(&p).expect("saves");
            let bytes = std::fs::read(&p).expect("reads");
            std::fs::remove_file(&p).expect("removes");
            bytes
        })
        .collect();
    assert_ne!(expected[0].len(), expected[1].len());
    version(0).save(&path).expect("first save");

    let mut seen = [0usize; 2];
    for kill in 0..KILLS {
        let started = dir.path().join(STARTED);
        let _ = std::fs::remove_file(&started);
        let log = std::fs::File::create(dir.path().join("saver.log")).expect("log");
        let mut child = Command::new(&exe)
            .args(["--exact", &own_test_name(), "--nocapture", "--test-threads=1"])
            .env(SAVER_ENV, dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starts the saver");
        // Wait for the saver to begin; if it ends instead, something is wrong with it.
        while !started.exists() {
            if let Some(status) = child.try_wait().expect("polls the saver") {
                let log = std::fs::read_to_string(dir.path().join("saver.log")).unwrap_or_default();
                panic!("the saver stopped before saving ({status}):\n{log}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // A spread of moments: right away, and up to about a tenth of a second in, which lands
        // at different points of the first few saves (each writes a few MB and syncs it).
        let delay_ms = (kill as u64 * 53 + 3) % 97;
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().expect("kills the saver");
        child.wait().expect("the saver is gone");

        let bytes = std::fs::read(&path).expect("the project file is still there");
        let Some(which) = expected.iter().position(|e| *e == bytes) else {
            panic!(
                "after kill {kill} ({delay_ms} ms in) the project is neither complete version: {} bytes, \
                 expected {} or {}",
                bytes.len(),
                expected[0].len(),
                expected[1].len()
            );
        };
        seen[which] += 1;
        let loaded =
            Project::load(&path).unwrap_or_else(|e| panic!("after kill {kill} the project does not load: {e}"));
        assert_eq!(loaded.extra.get("version_mark"), Some(&serde_json::json!(which)), "kill {kill}");

        // Whatever else a killed save left behind must not pass for a project: hidden, and not
        // named *.glassbox, so neither a file dialog nor a recent-files list offers it.
        let leftovers = other_files(dir.path());
        for f in &leftovers {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            assert!(
                name.starts_with('.') && !name.ends_with(".glassbox"),
                "after kill {kill} a leftover file could pass for a project: {name}"
            );
        }
    }
    // Each killed save that had created its temporary file left it behind (named by its process).
    let interrupted = other_files(dir.path()).len();
    eprintln!(
        "{KILLS} kills: the file held version 0 {} times and version 1 {} times; \
         {interrupted} kills struck between creating and renaming the temporary file",
        seen[0], seen[1]
    );
}

/// Files in `dir` other than the project, the saver's marker and its log.
fn other_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists the folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name != PROJECT && name != STARTED && name != "saver.log"
        })
        .collect();
    out.sort();
    out
}
