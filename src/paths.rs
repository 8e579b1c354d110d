//! Paths as people and other systems write them. A project saved on a Windows laptop records
//! `C:\Plant\Line 3\Müller.csv` or `\\server\share\plant.csv`; opened on Linux (or on another
//! Windows machine with other drive letters) that path means nothing, but the data usually sits
//! beside the project file. So a project also records where its data lies relative to itself,
//! and a data file is looked for at its recorded path, then at that relative place, then by its
//! file name beside the project. Paths typed or pasted by people lose the quotes Windows
//! Explorer's "Copy as path" puts around them and the `file://` of a dragged link.

use std::path::{Component, Path, PathBuf};

/// The last part of a path written on any system: both `/` and `\` separate folders, so
/// `C:\Plant\data.csv`, `\\server\share\data.csv` and `/home/plant/data.csv` all give
/// `data.csv`. `None` for a path that ends in a separator or is empty.
pub fn file_name_anywhere(path: &str) -> Option<&str> {
    path.rsplit(['/', '\\']).next().filter(|n| !n.is_empty() && *n != "." && *n != "..")
}

/// `to` relative to the folder `from`, with `/` between folders (portable: every system reads
/// it), when both are absolute and on the same root (drive, share or `/`); `None` otherwise.
pub fn relative_to(from: &Path, to: &Path) -> Option<String> {
    if !from.is_absolute() || !to.is_absolute() {
        return None;
    }
    let a: Vec<Component<'_>> = from.components().collect();
    let b: Vec<Component<'_>> = to.components().collect();
    // Different drives or shares share nothing a relative path can bridge.
    if a.first() != b.first() {
        return None;
    }
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_owned(), a.len() - common).collect();
    for c in b.iter().skip(common) {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `dir` joined with a relative path written with `/` or `\` between folders.
pub fn join_portable(dir: &Path, relative: &str) -> PathBuf {
    relative.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").fold(dir.to_path_buf(), |acc, part| {
        if part == ".." { acc.parent().map_or(acc.clone(), Path::to_path_buf) } else { acc.join(part) }
    })
}

/// Where a project's data file is now: its recorded path if it exists, else the recorded
/// relative path from the project's folder, else a file of the same name beside the project;
/// `None` when none of them exists.
pub fn locate_data(recorded: &Path, relative: Option<&str>, project_dir: Option<&Path>) -> Option<PathBuf> {
    if recorded.is_file() {
        return Some(recorded.to_path_buf());
    }
    let dir = project_dir?;
    if let Some(rel) = relative {
        let p = join_portable(dir, rel);
        if p.is_file() {
            return Some(p);
        }
    }
    let name = file_name_anywhere(&recorded.to_string_lossy())?.to_owned();
    let beside = dir.join(name);
    beside.is_file().then_some(beside)
}

/// A path as a person typed or pasted it: surrounding spaces and quotes removed (Windows
/// Explorer's "Copy as path" quotes it), a `file://` link turned into its path (with `%20` and
/// other escapes decoded). `None` for nothing but spaces.
pub fn parse_user_path(text: &str) -> Option<PathBuf> {
    let mut t = text.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            t = t[1..t.len() - 1].trim();
        }
    }
    if t.is_empty() {
        return None;
    }
    let Some(rest) = t.strip_prefix("file://") else { return Some(PathBuf::from(t)) };
    // `file:///C:/x` is a Windows drive path; `file:///home/x` a Unix one; `file://server/x` a share.
    let decoded = percent_decode(rest);
    let path = match decoded.strip_prefix('/') {
        Some(p) if p.len() >= 2 && p.as_bytes().get(1) == Some(&b':') => p.to_owned(),
        Some(_) => decoded,
        None => format!("//{decoded}"),
    };
    Some(PathBuf::from(path))
}

/// `%XX` escapes of a URI decoded (as UTF-8); anything malformed is kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_of_paths_from_every_system() {
        assert_eq!(file_name_anywhere(r"C:\Plant\Line 3\Müller Daten.csv"), Some("Müller Daten.csv"));
        assert_eq!(file_name_anywhere(r"\\server\share\plant.csv"), Some("plant.csv"));
        assert_eq!(file_name_anywhere("/home/plant/data.csv"), Some("data.csv"));
        assert_eq!(file_name_anywhere(r"C:\Plant\"), None);
        assert_eq!(file_name_anywhere(""), None);
    }

    #[test]
    fn relative_paths_read_on_every_system() {
        let root = if cfg!(windows) { PathBuf::from(r"C:\") } else { PathBuf::from("/") };
        let project_dir = root.join("plant").join("projects");
        let data = root.join("plant").join("data").join("line 3.csv");
        assert_eq!(relative_to(&project_dir, &data).as_deref(), Some("../data/line 3.csv"));
        assert_eq!(relative_to(&project_dir, &project_dir.join("x.csv")).as_deref(), Some("x.csv"));
        assert_eq!(relative_to(Path::new("relative/dir"), &data), None);
        assert_eq!(join_portable(&project_dir, r"..\data\line 3.csv"), data);
        assert_eq!(join_portable(&project_dir, "../data/line 3.csv"), data);
    }

    #[test]
    fn typed_and_pasted_paths() {
        let p = |s: &str| parse_user_path(s).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(p(r#"  "C:\Plant\Line 3\plant data.csv"  "#).as_deref(), Some(r"C:\Plant\Line 3\plant data.csv"));
        assert_eq!(p(r"'\\server\share\plant.csv'").as_deref(), Some(r"\\server\share\plant.csv"));
        assert_eq!(p("file:///C:/Plant/plant%20data.csv").as_deref(), Some("C:/Plant/plant data.csv"));
        assert_eq!(p("file:///home/j%C3%B6rg/data.csv").as_deref(), Some("/home/jörg/data.csv"));
        assert_eq!(p("file://server/share/plant.csv").as_deref(), Some("//server/share/plant.csv"));
        assert_eq!(p("/data/100%.csv").as_deref(), Some("/data/100%.csv"));
        assert_eq!(p("   "), None);
        assert_eq!(p("\"\""), None);
    }
}
