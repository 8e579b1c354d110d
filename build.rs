//! Build script: for Windows targets, the `.exe`'s icon and version information (what Explorer
//! shows under Properties ▸ Details), compiled into its resources by `winresource` with the
//! Windows SDK's `rc.exe` or MinGW's `windres` (cross-compiling from Linux uses
//! `x86_64-w64-mingw32-windres`). Other targets need nothing.

fn main() {
    println!("cargo:rerun-if-changed=assets/glassbox.ico");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut res = winresource::WindowsResource::new();
    res.set_icon("assets/glassbox.ico")
        .set("ProductName", "Glassbox")
        .set("FileDescription", "Glassbox: why a model decides, and PLC code that decides the same")
        .set("LegalCopyright", "MIT OR Apache-2.0")
        .set("OriginalFilename", "glassbox.exe");
    if let Err(e) = res.compile() {
        // A build without its icon is still a working program; say why loudly.
        println!("cargo:warning=the Windows icon and version information were not compiled in: {e}");
        assert!(std::env::var_os("CI").is_none(), "CI builds the Windows .exe with its resources: {e}");
    }
}
