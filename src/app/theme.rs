//! Look and feel: light/dark choice and fonts, including a system CJK font so column names in
//! Chinese or Japanese show as text rather than boxes.

use super::state::ThemeChoice;

/// Applies the colour scheme.
pub fn apply_theme(ctx: &egui::Context, choice: ThemeChoice) {
    let pref = match choice {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    };
    ctx.options_mut(|o| o.theme_preference = pref);
}

/// Families that draw Chinese and Japanese well, in order of preference (the first that is
/// installed wins); any other installed face that has both Han and kana glyphs comes after.
const CJK_FAMILIES: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "Source Han Sans",
    "Microsoft YaHei",
    "Yu Gothic",
    "Meiryo",
    "MS Gothic",
    "SimSun",
    "PingFang SC",
    "Hiragino Sans GB",
    "Hiragino Sans",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "Arial Unicode MS",
];

/// The rank of a family name in the list of preferred CJK families, for choosing among installed faces.
pub fn cjk_family_rank(family: &str) -> Option<usize> {
    CJK_FAMILIES.iter().position(|f| f.eq_ignore_ascii_case(family))
}

/// Whether font data (one face of it) has glyphs for Chinese and for Japanese kana.
fn covers_cjk(data: &[u8], index: u32) -> bool {
    ttf_parser::Face::parse(data, index).is_ok_and(|f| f.glyph_index('中').is_some() && f.glyph_index('あ').is_some())
}

/// The best CJK face among the system's fonts, found through the system's font list (Windows'
/// font folder and registry locations, macOS's font folders, fontconfig's folders on Linux, as
/// `fontdb` enumerates them): its family name, bytes and face index.
pub fn find_cjk_font(db: &fontdb::Database) -> Option<(String, Vec<u8>, u32)> {
    let family = |face: &fontdb::FaceInfo| face.families.first().map(|(n, _)| n.clone()).unwrap_or_default();
    let mut ranked: Vec<(usize, &fontdb::FaceInfo)> = db
        .faces()
        .filter(|f| f.style == fontdb::Style::Normal)
        .map(|f| (cjk_family_rank(&family(f)).unwrap_or(usize::MAX), f))
        .collect();
    // Preferred families first, then the rest by name, so the choice is the same every time.
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| family(a.1).cmp(&family(b.1))));
    ranked.into_iter().find_map(|(_, face)| {
        let (bytes, index) = db.with_face_data(face.id, |data, index| (data.to_vec(), index))?;
        covers_cjk(&bytes, index).then(|| (family(face), bytes, index))
    })
}

/// egui's own fonts, with its monospace face (Hack) as the last fallback of the proportional
/// family: Ubuntu Light has no arrows, and the engine's texts write threshold moves and
/// roundings with `→`.
pub fn font_definitions() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    let mono = fonts.families.get(&egui::FontFamily::Monospace).and_then(|f| f.first().cloned());
    if let Some(mono) = mono {
        fonts.families.entry(egui::FontFamily::Proportional).or_default().push(mono);
    }
    fonts
}

/// Adds the system's CJK font as a fallback after egui's own fonts ([`font_definitions`]);
/// returns its family name, or `None` when the system has none (the app then says so in the Help
/// menu).
pub fn install_fonts(ctx: &egui::Context) -> Option<String> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let (name, bytes, index) = find_cjk_font(&db)?;
    let mut fonts = font_definitions();
    let mut data = egui::FontData::from_owned(bytes);
    data.index = index;
    fonts.font_data.insert("cjk".into(), std::sync::Arc::new(data));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_families_rank_as_listed() {
        assert_eq!(cjk_family_rank("Noto Sans CJK SC"), Some(0));
        assert_eq!(cjk_family_rank("microsoft yahei"), Some(4), "names compare without case");
        assert!(cjk_family_rank("Yu Gothic") < cjk_family_rank("SimSun"));
        assert_eq!(cjk_family_rank("Arial"), None);
    }

    #[test]
    fn a_font_list_without_cjk_faces_gives_none() {
        // egui's own fonts (Latin and emoji) have no Han or kana glyphs.
        let mut db = fontdb::Database::new();
        for (_, data) in egui::FontDefinitions::default().font_data {
            db.load_font_data((*data.font).as_ref().to_vec());
        }
        assert!(!db.is_empty());
        assert!(find_cjk_font(&db).is_none());
    }
}
