//! `glassbox`: without a subcommand the window opens; with one, the engine runs headless.
//!
//! On Windows the release build is a GUI-subsystem program, so starting it from Explorer or a
//! shortcut opens the window without a black console beside it. Started from a terminal, it
//! attaches to that terminal's console first, so `glassbox.exe train …` prints there. A
//! GUI-subsystem program is not waited for by an interactive `cmd.exe` or PowerShell, so scripts
//! that need the exit code use the console twin `glassbox-cli.exe` (same program, console
//! subsystem); see ARCHITECTURE.md.

#![cfg_attr(all(windows, feature = "gui", not(debug_assertions)), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    #[cfg(all(windows, feature = "gui", not(debug_assertions)))]
    attach_to_parent_console();
    glassbox::cli::main()
}

/// Makes standard output and error the console of the program that started this one, if it has
/// one (a terminal); started from Explorer there is none and nothing changes.
#[cfg(all(windows, feature = "gui", not(debug_assertions)))]
#[allow(unsafe_code)]
fn attach_to_parent_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // SAFETY: AttachConsole takes a process id (here the documented "parent" constant) and only
    // returns a status; it has no pointers or other preconditions. A failure (no parent console)
    // is the normal case when started from Explorer and is ignored.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}
