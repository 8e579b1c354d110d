//! Look and feel: light/dark choice and fonts, including a system CJK font so column names in
//! Chinese or Japanese show as text rather than boxes.

use std::path::Path;

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

/// Fonts with CJK glyphs that desktops commonly have, in order of preference.
const CJK_FONTS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
    "C:\\Windows\\Fonts\\YuGothM.ttc",
    "C:\\Windows\\Fonts\\meiryo.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
];

/// Adds the first CJK font found as a fallback; returns its path, or `None` when the system
/// has none (the app then says so in the About box).
pub fn install_fonts(ctx: &egui::Context) -> Option<String> {
    let (path, bytes) = CJK_FONTS.iter().find_map(|p| std::fs::read(Path::new(p)).ok().map(|b| (*p, b)))?;
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert("cjk".into(), std::sync::Arc::new(egui::FontData::from_owned(bytes)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
    Some(path.to_owned())
}
