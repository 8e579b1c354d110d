//! `glassbox-cli`: the same program as `glassbox`, always a console program. On Windows,
//! `glassbox.exe` is a GUI-subsystem program (no console window when started from Explorer),
//! which `cmd.exe` and PowerShell do not wait for; scripts that need output and exit codes in
//! order run `glassbox-cli.exe` instead. Elsewhere the two are the same.

fn main() -> std::process::ExitCode {
    glassbox::cli::main()
}
