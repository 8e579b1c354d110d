//! Projects that travel: saved on one system or folder, opened on another. The data file is
//! found at its recorded path, else where it lies relative to the project, else beside the
//! project by its file name — with Windows drive letters, UNC shares, backslashes, spaces and
//! non-ASCII names in the recorded paths, on every platform.

use std::path::Path;

use glassbox::Progress;
use glassbox::data::LoadOptions;
use glassbox::project::{DataRef, Project};

use crate::fixture;

/// A project on the concrete data (a small file), its data copied to `data_dir`.
fn project_with_data(data_dir: &Path) -> Project {
    std::fs::create_dir_all(data_dir).expect("folder");
    let data = data_dir.join("Beton Prüfung 2024.csv");
    std::fs::copy(fixture("datasets/concrete_compressive_strength.csv"), &data).expect("copy");
    let ds = glassbox::data::load_file(&data, &LoadOptions::default(), &Progress::new()).expect("loads");
    Project::new(Some(DataRef::of_file(&data, LoadOptions::default()).expect("hash")), &ds)
}

#[test]
fn data_that_moved_with_its_project_is_found_relative_to_it() {
    let dir = tempfile::tempdir().expect("dir");
    let site = dir.path().join("Linie 3 – Müller");
    let project = project_with_data(&site.join("daten"));
    let file = site.join("projekte").join("Werk Süd.glassbox");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("folder");
    project.save(&file).expect("saves");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("reads")).expect("JSON");
    assert_eq!(saved["data"]["relative"], "../daten/Beton Prüfung 2024.csv");

    // The whole site folder is moved (another drive, another machine).
    let moved = dir.path().join("Archiv 2025").join("Linie 3 – Müller");
    std::fs::create_dir_all(moved.parent().expect("parent")).expect("folder");
    std::fs::rename(&site, &moved).expect("moves");
    let opened = Project::load(&moved.join("projekte").join("Werk Süd.glassbox")).expect("opens");
    let ds = opened.load_data(&Progress::new()).expect("finds and verifies the data");
    assert_eq!(ds.n_rows(), 1030);
    assert_eq!(opened.data.as_ref().map(|d| d.path.clone()), Some(moved.join("daten").join("Beton Prüfung 2024.csv")));
}

#[test]
fn a_project_saved_on_windows_opens_with_its_data_beside_it() {
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().join("Schicht B");
    let project = project_with_data(&folder);
    let mut json: serde_json::Value = serde_json::to_value(&project).expect("JSON");
    for recorded in [
        r"C:\Users\Jörg\Plant Data\Beton Prüfung 2024.csv",
        r"\\fileserver\qualität\Linie 3\Beton Prüfung 2024.csv",
        r"D:/Werk/Beton Prüfung 2024.csv",
    ] {
        json["data"]["path"] = recorded.into();
        json["data"]["relative"] = serde_json::Value::Null;
        let file = folder.join("von Windows.glassbox");
        std::fs::write(&file, serde_json::to_vec_pretty(&json).expect("bytes")).expect("writes");
        let opened = Project::load(&file).expect("opens");
        let ds = opened.load_data(&Progress::new()).unwrap_or_else(|e| panic!("{recorded}: {e}"));
        assert_eq!(ds.n_rows(), 1030, "{recorded}");
    }
}

#[test]
fn a_missing_data_file_is_named_with_the_recorded_path() {
    let dir = tempfile::tempdir().expect("dir");
    let project = project_with_data(&dir.path().join("a"));
    let file = dir.path().join("p.glassbox");
    project.save(&file).expect("saves");
    std::fs::remove_dir_all(dir.path().join("a")).expect("removes the data");
    let opened = Project::load(&file).expect("opens");
    let e = opened.load_data(&Progress::new()).expect_err("no data");
    let text = e.to_string();
    assert!(text.contains("not there any more") && text.contains("Beton Prüfung 2024.csv"), "{text}");
}
