//! Fuzzes the project loader: arbitrary bytes as a `.glassbox` file.
//!
//! Opening must end in a project or an error naming what is wrong. A project that opens must
//! save and reopen to the same project, and its model must be usable the way the app uses it
//! right after opening (predicting a row, following its decision path, drawing its tree) without
//! a panic or an endless loop.

#![no_main]

use std::path::Path;

use glassbox::project::Project;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.glassbox");
    let Ok(project) = Project::from_bytes(data, path) else { return };

    let saved = serde_json::to_vec_pretty(&project).expect("a project that opened can be saved");
    let reopened = Project::from_bytes(&saved, path).expect("a saved project reopens");
    assert_eq!(reopened, project, "saving and reopening changed the project");

    let Some(report) = &project.model else { return };
    let model = &report.model;
    let _ = model.feature_names();
    let _ = model.default_output();
    // A row of zeros and a row of missing values: the two a fresh what-if starts from.
    for fill in [0.0, f64::NAN] {
        let row = vec![fill; model.n_features()];
        let p = model.predict_row(&row);
        let _ = model.format_prediction(p.value);
    }
    if let Some(tree) = model.tree() {
        let x = vec![0.0; model.pipeline.n_encoded()];
        let _ = tree.path(&x);
        let _ = tree.depth();
        let _ = tree.n_leaves();
        let _ = tree.layout();
        let _ = tree.parents();
    }
});
