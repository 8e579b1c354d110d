//! What the app remembers between runs (small user preferences, persisted by eframe).
//! The working session (dataset, models, results) belongs to the project file, not here.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::LoadOptions;

/// How many recent files the File menu lists.
pub const MAX_RECENT: usize = 10;

/// Light, dark, or whatever the system uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ThemeChoice {
    /// Follow the operating system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// A file opened before, with the settings it was read with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentFile {
    /// Where it was.
    pub path: PathBuf,
    /// How it was read.
    pub options: LoadOptions,
}

/// User preferences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// Colour scheme.
    pub theme: ThemeChoice,
    /// Recently opened files, newest first.
    pub recent_files: Vec<RecentFile>,
    /// Recently opened or saved projects, newest first.
    pub recent_projects: Vec<PathBuf>,
    /// Interface scale (1.0 = the system's).
    pub zoom: f32,
}

impl Default for Preferences {
    fn default() -> Self {
        Self { theme: ThemeChoice::System, recent_files: Vec::new(), recent_projects: Vec::new(), zoom: 1.0 }
    }
}

impl Preferences {
    /// Puts a project at the top of the recent projects (once), keeping the list short.
    pub fn remember_project(&mut self, path: PathBuf) {
        self.recent_projects.retain(|r| *r != path);
        self.recent_projects.insert(0, path);
        self.recent_projects.truncate(MAX_RECENT);
    }

    /// Puts a file at the top of the recent list (once), keeping the list short.
    pub fn remember_file(&mut self, path: PathBuf, options: LoadOptions) {
        self.recent_files.retain(|r| r.path != path);
        self.recent_files.insert(0, RecentFile { path, options });
        self.recent_files.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut p = Preferences::default();
        for i in 0..15 {
            p.remember_file(format!("f{i}.csv").into(), LoadOptions::default());
        }
        p.remember_file("f10.csv".into(), LoadOptions::default());
        assert_eq!(p.recent_files.len(), MAX_RECENT);
        assert_eq!(p.recent_files[0].path, PathBuf::from("f10.csv"));
        assert_eq!(p.recent_files.iter().filter(|r| r.path.as_path() == std::path::Path::new("f10.csv")).count(), 1);
    }

    #[test]
    fn old_preferences_without_new_fields_still_load() {
        let p: Preferences = serde_json::from_str(r#"{"theme":"Dark"}"#).expect("loads");
        assert_eq!(p.theme, ThemeChoice::Dark);
        assert!((p.zoom - 1.0).abs() < f32::EPSILON);
    }
}
