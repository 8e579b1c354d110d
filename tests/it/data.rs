//! Loading real plant data and every kind of bad input.

use std::path::Path;

use glassbox::Progress;
use glassbox::data::{ColumnKind, Dataset, LoadOptions, Role, load_file};

use crate::fixture;

fn load(path: &Path) -> glassbox::Result<Dataset> {
    load_file(path, &LoadOptions::default(), &Progress::new())
}

fn load_ok(rel: &str) -> Dataset {
    let path = fixture(rel);
    match load(&path) {
        Ok(ds) => ds,
        Err(e) => panic!("{rel}: {e}"),
    }
}

fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    (dir, path)
}

fn load_err(name: &str, bytes: &[u8]) -> String {
    let (_dir, path) = temp_file(name, bytes);
    match load(&path) {
        Ok(ds) => panic!("{name} loaded ({} rows) but should fail", ds.n_rows()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn ai4i_schema_roles_and_statistics() {
    let ds = load_ok("datasets/ai4i2020.csv");
    assert_eq!(ds.n_rows(), 10_000);
    assert_eq!(ds.n_columns(), 14);
    let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "UDI",
            "Product ID",
            "Type",
            "Air temperature [K]",
            "Process temperature [K]",
            "Rotational speed [rpm]",
            "Torque [Nm]",
            "Tool wear [min]",
            "Machine failure",
            "TWF",
            "HDF",
            "PWF",
            "OSF",
            "RNF"
        ]
    );
    let col = |n: &str| ds.column(n).expect(n);
    assert_eq!(col("UDI").role, Role::Id);
    assert_eq!(col("Product ID").role, Role::Id);
    assert_eq!(col("Product ID").kind, ColumnKind::Text);
    assert_eq!(col("Type").kind, ColumnKind::Categorical);
    assert_eq!(col("Type").levels, ["H", "L", "M"]);
    assert_eq!(col("Machine failure").role, Role::Target);
    assert_eq!(col("Torque [Nm]").unit.as_deref(), Some("Nm"));
    assert_eq!(col("Rotational speed [rpm]").kind, ColumnKind::Integer);
    assert_eq!(col("Air temperature [K]").kind, ColumnKind::Float);
    // Failure counts from the dataset's documentation: 339 failures, TWF 46, HDF 115.
    let ones = |n: &str| col(n).values.iter().filter(|&&v| v == 1.0).count();
    assert_eq!(ones("Machine failure"), 339);
    assert_eq!(ones("TWF"), 46);
    assert_eq!(ones("HDF"), 115);
    // Failure-mode labels set only when the machine failed are flagged as leaks; RNF is not
    // (18 of its rows have no failure).
    for leak in ["TWF", "HDF", "PWF", "OSF"] {
        assert_eq!(col(leak).role, Role::Ignore, "{leak}");
    }
    assert_eq!(col("RNF").role, Role::Feature);
    // Statistics against pandas' describe() of the same file.
    let t = &col("Torque [Nm]").stats;
    assert_eq!((t.count, t.missing), (10_000, 0));
    assert_eq!(t.min, Some(3.8));
    assert_eq!(t.max, Some(76.6));
    assert!((t.mean.unwrap() - 39.986_909_999_999_995).abs() < 1e-9, "{:?}", t.mean);
    assert!((t.std.unwrap() - 9.968_933_725_121_337).abs() < 1e-9, "{:?}", t.std);
    assert_eq!(col("Type").stats.distinct, 3);
    assert!(ds.warnings.is_empty(), "{:?}", ds.warnings);
}

#[test]
fn concrete_keeps_exact_names_and_units() {
    let ds = load_ok("datasets/concrete_compressive_strength.csv");
    assert_eq!((ds.n_rows(), ds.n_columns()), (1030, 9));
    let target = ds.columns.last().expect("columns");
    assert_eq!(target.name, "Concrete compressive strength(MPa, megapascals) ");
    assert_eq!(target.unit.as_deref(), Some("MPa"));
    assert_eq!(target.role, Role::Target);
    assert!(ds.column("Water  (component 4)(kg in a m^3 mixture)").is_some());
    assert_eq!(ds.column("Age (day)").and_then(|c| c.unit.as_deref()), Some("day"));
    assert_eq!(ds.column("Age (day)").and_then(|c| c.stats.max), Some(365.0));
}

#[test]
fn ccpp_and_steel_plates_load_whole() {
    let ccpp = load_ok("datasets/ccpp.csv");
    assert_eq!((ccpp.n_rows(), ccpp.n_columns()), (9568, 5));
    assert_eq!(ccpp.target().map(|c| c.name.as_str()), Some("PE"));
    assert!(ccpp.columns.iter().all(|c| c.kind == ColumnKind::Float));
    let rh = ccpp.column("RH").expect("RH");
    assert_eq!(rh.stats.max, Some(100.16));

    let plates = load_ok("datasets/steel_plates_faults.csv");
    assert_eq!((plates.n_rows(), plates.n_columns()), (1941, 34));
    let count = |n: &str| plates.column(n).expect(n).values.iter().filter(|&&v| v == 1.0).count();
    assert_eq!(count("Bumps"), 402);
    assert_eq!(count("K_Scatch"), 391);
}

#[test]
fn steel_energy_dates_are_timestamps_day_first() {
    let ds = load_ok("datasets/steel_industry_energy_head3000.csv");
    assert_eq!(ds.n_rows(), 3000);
    let date = ds.column("date").expect("date");
    assert_eq!(date.kind, ColumnKind::Timestamp);
    assert_eq!(date.role, Role::Timestamp);
    // Row 0 is 1/1/2018 00:15. Row 95 is the 24:00 reading, which the file writes as
    // 1/1/2018 0:00 (a quirk of the source): it is read as written.
    assert_eq!(date.display_value(0), "2018-01-01 00:15:00");
    assert_eq!(date.display_value(95), "2018-01-01 00:00:00");
    assert_eq!(date.display_value(96), "2018-01-02 00:15:00");
    assert_eq!(date.values[1] - date.values[0], 900.0);
    let load = ds.column("Load_Type").expect("Load_Type");
    assert_eq!(load.kind, ColumnKind::Categorical);
    assert_eq!(load.levels, ["Light_Load", "Maximum_Load", "Medium_Load"]);
    assert!(ds.warnings.is_empty(), "{:?}", ds.warnings);
}

/// The six runs every format fixture holds (see `make_formats.py`).
fn check_plant_runs(ds: &Dataset, temp: &str, speed: &str) {
    assert_eq!(ds.n_rows(), 6, "{}", ds.name);
    let t = ds
        .column(temp)
        .unwrap_or_else(|| panic!("{temp} in {:?}", ds.columns.iter().map(|c| &c.name).collect::<Vec<_>>()));
    assert_eq!(t.kind, ColumnKind::Float);
    assert_eq!(t.values[1], 22.25);
    assert!(t.values[3].is_nan());
    assert_eq!(t.stats.missing, 1);
    let s = ds.column(speed).expect(speed);
    assert_eq!(s.values[2], 1510.0);
    assert_eq!(s.unit.as_deref(), Some("1/min"));
}

#[test]
fn latin1_semicolons_and_decimal_comma_are_detected() {
    let ds = load_ok("formats/latin1_semicolon_decimal_comma.csv");
    check_plant_runs(&ds, "Temperatur [°C]", "Drehzahl (1/min)");
    let p = ds.column("Druck (bar)").expect("Druck");
    assert_eq!(p.values[0], 1.013);
    let shift = ds.column("Schicht").expect("Schicht");
    assert_eq!(shift.levels, ["Früh", "Nacht", "Spät"]);
    assert_eq!(ds.column("Qualität").map(|c| c.kind), Some(ColumnKind::Categorical));
    assert_eq!(ds.column("Zeitstempel").map(|c| c.kind), Some(ColumnKind::Timestamp));
}

#[test]
fn gbk_and_shift_jis_are_detected() {
    let ds = load_ok("formats/gbk_chinese.csv");
    check_plant_runs(&ds, "温度 [°C]", "转速 (1/min)");
    assert_eq!(ds.column("班次").map(|c| c.levels.len()), Some(3));
    assert!(ds.column("结果").is_some_and(|c| c.levels.contains(&"不合格".to_owned())));
    let ds = load_ok("formats/shift_jis_japanese.csv");
    check_plant_runs(&ds, "温度 [°C]", "回転数 (1/min)");
    assert!(ds.column("判定").is_some_and(|c| c.levels.contains(&"不良".to_owned())));
}

#[test]
fn bom_tabs_and_utf16() {
    for f in ["formats/utf8_bom.csv", "formats/tab_separated.tsv", "formats/utf16le_excel_unicode.txt"] {
        let ds = load_ok(f);
        assert_eq!(ds.columns[0].name, "time", "{f}");
        check_plant_runs(&ds, "Temperature [°C]", "Speed (1/min)");
    }
}

#[test]
fn spreadsheets_keep_their_cell_types() {
    let ds = load_ok("formats/plant.xlsx");
    check_plant_runs(&ds, "Temperatur [°C]", "Drehzahl (1/min)");
    let time = ds.column("Zeitstempel").expect("time");
    assert_eq!(time.kind, ColumnKind::Timestamp);
    assert_eq!(time.display_value(2), "2024-03-01 14:00:00");
    assert_eq!(ds.column("Geprüft").map(|c| c.kind), Some(ColumnKind::Boolean));
    let ds = load_ok("formats/plant.xls");
    check_plant_runs(&ds, "Temperatur [°C]", "Drehzahl (1/min)");
    assert_eq!(ds.column("Zeitstempel").map(|c| c.display_value(5)).as_deref(), Some("2024-03-01 22:15:00"));
}

#[test]
fn parquet_keeps_its_types() {
    let ds = load_ok("formats/plant.parquet");
    check_plant_runs(&ds, "Temperature [°C]", "Speed (1/min)");
    assert_eq!(ds.column("time").map(|c| c.kind), Some(ColumnKind::Timestamp));
    assert_eq!(ds.column("time").map(|c| c.display_value(0)).as_deref(), Some("2024-03-01 06:00:00"));
    assert_eq!(ds.column("Shift").map(|c| c.levels.clone()), Some(vec!["Früh".into(), "Nacht".into(), "Spät".into()]));
    assert_eq!(ds.column("Checked").map(|c| c.kind), Some(ColumnKind::Boolean));
    // float32 values arrive as the nearest double of the stored single.
    assert_eq!(ds.column("Pressure (bar)").map(|c| c.values[0]), Some(f64::from(1.013f32)));
}

#[test]
fn parquet_round_trip_of_real_data() {
    let ds = load_ok("datasets/ai4i2020.csv");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ai4i.parquet");
    let mut f = std::fs::File::create(&path).expect("create");
    glassbox::data::write_parquet(&ds, &mut f).expect("write");
    drop(f);
    let back = load(&path).expect("read back");
    assert_eq!(back.n_rows(), ds.n_rows());
    for (a, b) in ds.columns.iter().zip(&back.columns) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.stats, b.stats, "{}", a.name);
    }
}

#[test]
fn quoted_fields_and_line_numbers() {
    let ds = load_ok("formats/quoted_multiline.csv");
    assert_eq!(ds.n_rows(), 119);
    let remark = ds.column("remark").expect("remark");
    assert_eq!(remark.display_value(1), "with, comma");
    assert_eq!(remark.display_value(2), "say \"hi\"");
    assert_eq!(remark.display_value(3), "two\nlines");
    // The stray text sits on the record that starts on line 7 (the quoted newline is line 5–6).
    let value = ds.column("value").expect("value");
    assert_eq!(value.kind, ColumnKind::Float);
    assert!(ds.warnings.iter().any(|w| w.contains("line 7 'oops'") && w.contains("'value'")), "{:?}", ds.warnings);
}

// ---- Bad input: a clear message, never a panic. ----

#[test]
fn empty_file() {
    let m = load_err("empty.csv", b"");
    assert!(m.contains("empty") && m.contains("empty.csv"), "{m}");
}

#[test]
fn header_only_file() {
    let m = load_err("header.csv", b"a,b,c\n");
    assert!(m.contains("no data rows") && m.contains("header.csv"), "{m}");
}

#[test]
fn ragged_row_names_its_line() {
    let m = load_err("ragged.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n1,2,3\n");
    assert!(
        m.contains("line 4") && m.contains("4 fields") && m.contains("header has 3") && m.contains("ragged.csv"),
        "{m}"
    );
    let m = load_err("short.csv", b"a,b,c\n1,2,3\n4,5\n");
    assert!(m.contains("line 3") && m.contains("2 fields"), "{m}");
}

#[test]
fn text_in_a_numeric_column_is_reported_by_line_and_column() {
    let mut csv = String::from("Temp [K],Speed\n");
    for i in 0..300 {
        if i == 150 {
            csv.push_str("n/a?,1500\n");
        } else {
            csv.push_str(&format!("{}.5,1500\n", 300 + i % 7));
        }
    }
    let (_d, path) = temp_file("stray.csv", csv.as_bytes());
    let ds = load(&path).expect("loads with a warning");
    let t = ds.column("Temp [K]").expect("col");
    assert_eq!(t.kind, ColumnKind::Float);
    assert_eq!(t.stats.missing, 1);
    assert!(
        ds.warnings.iter().any(|w| w.contains("'Temp [K]'") && w.contains("line 152") && w.contains("n/a?")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn all_missing_column_is_ignored_with_a_reason() {
    let (_d, path) = temp_file("holes.csv", b"a,b,c\n1,,x\n2,,y\n3,,z\n");
    let ds = load(&path).expect("loads");
    let b = ds.column("b").expect("b");
    assert_eq!(b.stats.missing, 3);
    assert_eq!(b.role, Role::Ignore);
    assert!(b.note.as_deref().is_some_and(|n| n.contains("empty")));
}

#[test]
fn duplicate_column_names_are_kept_apart() {
    let (_d, path) = temp_file("dups.csv", b"T,T,p\n1,2,3\n4,5,6\n");
    let ds = load(&path).expect("loads");
    let names: Vec<&str> = ds.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["T", "T (2)", "p"]);
    assert!(ds.warnings.iter().any(|w| w.contains("columns 1 and 2") && w.contains("'T'")), "{:?}", ds.warnings);
}

#[test]
fn binary_file_renamed_csv() {
    let mut bytes = b"PK\x05\x06garbage".to_vec();
    bytes.extend((0u8..=255).cycle().take(4096));
    let m = load_err("photo.csv", &bytes);
    assert!(m.contains("not a text file") && m.contains("photo.csv"), "{m}");
}

#[test]
fn truncated_xlsx_and_parquet() {
    let xlsx = std::fs::read(fixture("formats/plant.xlsx")).expect("fixture");
    let m = load_err("cut.xlsx", &xlsx[..xlsx.len() / 2]);
    assert!(m.contains("workbook") && m.contains("cut.xlsx"), "{m}");
    let pq = std::fs::read(fixture("formats/plant.parquet")).expect("fixture");
    let m = load_err("cut.parquet", &pq[..pq.len() / 2]);
    assert!(m.contains("Parquet") && m.contains("cut.parquet"), "{m}");
}

#[test]
fn a_2_gb_file_is_refused_before_reading() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("huge.csv");
    let f = std::fs::File::create(&path).expect("create");
    // Sparse: takes no disk space.
    f.set_len(2 * 1024 * 1024 * 1024).expect("set_len");
    let m = load(&path).expect_err("too big").to_string();
    assert!(m.contains("2.1 GB") && m.contains("huge.csv"), "{m}");
}

#[test]
fn a_vanished_file_or_a_folder() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("gone.csv");
    std::fs::write(&path, "a\n1\n").expect("write");
    std::fs::remove_file(&path).expect("remove");
    let m = load(&path).expect_err("gone").to_string();
    assert!(m.contains("gone.csv") && m.to_lowercase().contains("no such file"), "{m}");
    let m = load(dir.path()).expect_err("folder").to_string();
    assert!(m.contains("folder"), "{m}");
}

#[test]
fn cancel_stops_a_load() {
    let p = Progress::new();
    p.cancel();
    let e = load_file(&fixture("datasets/ai4i2020.csv"), &LoadOptions::default(), &p).expect_err("cancelled");
    assert!(e.is_cancelled());
}

#[test]
fn a_preview_reads_only_the_head() {
    let opts = LoadOptions { row_limit: Some(50), ..LoadOptions::default() };
    let ds = load_file(&fixture("datasets/ai4i2020.csv"), &opts, &Progress::new()).expect("preview");
    assert_eq!(ds.n_rows(), 50);
    assert_eq!(ds.n_columns(), 14);
}

#[test]
fn the_same_file_loads_the_same_every_time() {
    let a = load_ok("datasets/steel_plates_faults.csv");
    let b = load_ok("datasets/steel_plates_faults.csv");
    assert_eq!(a, b);
}
