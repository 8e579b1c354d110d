//! Glassbox never opens a network connection: no telemetry, no update check, no font download.
//!
//! Three checks: no network client crate is built into Glassbox, the source never names the
//! standard library's sockets, and (on Linux, where it can) the command line runs its usual
//! work with no network at all.
//!
//! `Cargo.lock` alone cannot answer the first question: it lists every optional dependency any
//! feature could switch on, and polars's optional cloud support brings `reqwest`, `hyper` and
//! `h2` into it although the features Glassbox uses never build them. So the lock file gives the
//! candidates, and `cargo tree` (resolving features as the build does) gives the packages
//! actually built: for this platform always, for every platform when cargo has or can fetch
//! their manifests (see the test's comment).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fixture;

/// Crates whose purpose is talking over a network: HTTP clients and servers, their protocol
/// stacks, QUIC, web sockets, error and telemetry reporters, self-updaters. tokio and mio are
/// not here: polars uses them for asynchronous reading of local files.
const NETWORK_CRATES: &[&str] = &[
    "reqwest",
    "reqwest-middleware",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "hyper-tls",
    "h2",
    "h3",
    "quinn",
    "ureq",
    "curl",
    "curl-sys",
    "isahc",
    "attohttpc",
    "surf",
    "minreq",
    "http-req",
    "awc",
    "actix-web",
    "axum",
    "warp",
    "tiny_http",
    "tower-http",
    "tokio-rustls",
    "tokio-native-tls",
    "tungstenite",
    "tokio-tungstenite",
    "async-tungstenite",
    "websocket",
    "ws",
    "sentry",
    "sentry-core",
    "opentelemetry-otlp",
    "opentelemetry-http",
    "opentelemetry-jaeger",
    "opentelemetry-zipkin",
    "tonic",
    "object_store",
    "self_update",
    "update-informer",
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Package names in `Cargo.lock`.
fn locked_packages() -> BTreeSet<String> {
    let lock = std::fs::read_to_string(manifest_dir().join("Cargo.lock")).expect("Cargo.lock is committed");
    lock.lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .map(str::to_owned)
        .collect()
}

/// How a `cargo tree` run went.
enum Tree {
    /// The packages it printed.
    Built(BTreeSet<String>),
    /// It could not get the manifests it needs (not in the cargo cache, and no network).
    NoSources(String),
    /// It failed for another reason.
    Failed(String),
}

/// Whether cargo's message says it lacked package sources it could not download.
fn lacks_sources(stderr: &str) -> bool {
    [
        "failed to download",
        "--offline was specified",
        "failed to query replaced source",
        "Couldn't resolve host",
        "failed to get successful HTTP response",
        "spurious network error",
        "network failure",
        "failed to load source",
    ]
    .iter()
    .any(|m| stderr.contains(m))
}

/// Packages `cargo tree` says are built with every feature of Glassbox, including build and test
/// dependencies, for every platform (`all`) or, with `None`, the platform cargo runs on. With
/// `offline`, cargo uses only what its cache holds.
fn cargo_tree(target: Option<&str>, offline: bool) -> Tree {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(manifest_dir())
        .args(["tree", "--locked", "--all-features", "-e", "normal,build,dev"])
        .args(["--prefix", "none", "--format", "{p}"]);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    if offline {
        cmd.arg("--offline");
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => return Tree::Failed(format!("cannot run cargo: {e}")),
    };
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return if lacks_sources(&stderr) { Tree::NoSources(stderr) } else { Tree::Failed(stderr) };
    }
    // Lines read `name v1.2.3`, `name v1.2.3 (/path)` or `name v1.2.3 (*)`.
    let text = String::from_utf8_lossy(&out.stdout);
    Tree::Built(text.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect())
}

/// Checks one `cargo tree` listing against the lock file and the network crates.
fn check_tree(what: &str, built: &BTreeSet<String>, locked: &BTreeSet<String>, candidates: &[&str]) {
    // The tree must be the real one: Glassbox and its main dependencies are in it, and every
    // package in it is in the lock file.
    for name in ["glassbox", "polars", "serde", "tempfile"] {
        assert!(built.contains(name), "`cargo tree` ({what}) lacks {name}: {built:?}");
    }
    let unknown: Vec<&String> = built.iter().filter(|p| !locked.contains(*p)).collect();
    assert!(unknown.is_empty(), "packages in the tree ({what}) but not in Cargo.lock: {unknown:?}");
    let networked: Vec<&str> = candidates.iter().copied().filter(|c| built.contains(*c)).collect();
    assert!(networked.is_empty(), "network crates are built into Glassbox ({what}): {networked:?}");
}

/// Two steps, so that the answer never depends on what a cargo cache happens to hold:
///
/// 1. This platform, offline. Building these tests downloaded every package this platform
///    builds, so cargo has every manifest it needs: this step always runs, network or not.
/// 2. Every platform (Windows, macOS, iOS, Android …), whose packages a Linux build never
///    downloads. Offline first (a cache that holds them answers at once); else cargo downloads
///    what it lacks. Without a network to do that, the test says so loudly and skips this step,
///    or fails under CI, which always has the network to fetch crates.
#[test]
fn no_network_client_crate_is_built() {
    let locked = locked_packages();
    assert!(locked.contains("polars") && locked.contains("serde"), "Cargo.lock was not read: {locked:?}");
    let candidates: Vec<&str> = NETWORK_CRATES.iter().copied().filter(|c| locked.contains(*c)).collect();
    if candidates.is_empty() {
        return;
    }
    let host = "this platform";
    match cargo_tree(None, true) {
        Tree::Built(built) => check_tree(host, &built, &locked, &candidates),
        Tree::NoSources(e) | Tree::Failed(e) => {
            panic!("`cargo tree --offline` failed, although building this test fetched its packages:\n{e}")
        }
    }
    let all = match cargo_tree(Some("all"), true) {
        Tree::NoSources(_) => cargo_tree(Some("all"), false),
        other => other,
    };
    match all {
        Tree::Built(built) => check_tree("every platform", &built, &locked, &candidates),
        Tree::NoSources(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must check every platform's dependencies, but cargo could not fetch them:\n{e}"
            );
            eprintln!(
                "\n*** SKIPPED in part: the network crates {candidates:?} were ruled out for {host} only. \
                 The other platforms' packages are not in the cargo cache and cannot be downloaded \
                 (no network?), so `cargo tree --target all` could not run:\n{e}***\n"
            );
            return;
        }
        Tree::Failed(e) => panic!("`cargo tree --target all` failed:\n{e}"),
    }
    eprintln!(
        "Cargo.lock lists {} network crates as optional dependencies ({}); none is built on any platform",
        candidates.len(),
        candidates.join(", ")
    );
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("lists the folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_source_never_names_sockets() {
    let mut files = Vec::new();
    rust_files(&manifest_dir().join("src"), &mut files);
    assert!(files.len() > 20, "the source was not found: {files:?}");
    let words = ["std::net", "TcpStream", "TcpListener", "UdpSocket", "ToSocketAddrs", "tokio::net", "mio::net"];
    let mut hits = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("reads the source");
        for (i, line) in text.lines().enumerate() {
            for word in words {
                if line.contains(word) {
                    hits.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(hits.is_empty(), "the source names network sockets:\n{}", hits.join("\n"));
}

/// Whether `unshare -rn` (a new user and network namespace, without privileges) works here.
fn can_unshare() -> bool {
    Command::new("unshare").args(["-rn", "true"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn the_command_line_works_without_any_network() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: running without a network needs Linux namespaces (`unshare -rn`)");
        return;
    }
    let present = Command::new("unshare").arg("--version").output().is_ok_and(|o| o.status.success());
    if !present {
        assert!(std::env::var_os("CI").is_none(), "`unshare` (util-linux) is required in CI");
        eprintln!(
            "\n*** SKIPPED: `unshare` is not installed (util-linux), so the run without a network did NOT happen ***\n"
        );
        return;
    }
    if !can_unshare() {
        eprintln!(
            "\n*** SKIPPED: `unshare -rn true` does not work here (user namespaces are disabled, as in many \
             containers), so the run without a network did NOT happen; the dependency and source checks still ran ***\n"
        );
        return;
    }
    // Inside the namespace the only interface is loopback (and it is down).
    let probe = Command::new("unshare").args(["-rn", "cat", "/proc/net/dev"]).output().expect("runs cat");
    let table = String::from_utf8_lossy(&probe.stdout).into_owned();
    let interfaces: Vec<&str> = table.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).collect();
    assert_eq!(interfaces, ["lo"], "the namespace still has network interfaces:\n{table}");

    let bin = env!("CARGO_BIN_EXE_glassbox");
    let data = fixture("datasets/ai4i2020.csv");
    let dir = tempfile::tempdir().expect("temporary folder");
    let project = dir.path().join("offline.glassbox");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new("unshare").arg("-rn").arg(bin).args(args).output().expect("runs glassbox");
        assert!(
            out.status.success(),
            "glassbox {args:?} failed without a network:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let inspect = run(&["inspect".as_ref(), data.as_os_str(), "--json".as_ref()]);
    let v: serde_json::Value = serde_json::from_str(&inspect).expect("inspect prints JSON");
    assert_eq!(v["rows"], 10_000);
    let trained = run(&[
        "train".as_ref(),
        data.as_os_str(),
        "--target".as_ref(),
        "Machine failure".as_ref(),
        "--max-depth".as_ref(),
        "4".as_ref(),
        "--out".as_ref(),
        project.as_os_str(),
    ]);
    assert!(trained.contains("test accuracy"), "{trained}");
    assert!(glassbox::project::Project::load(&project).expect("the project loads").model.is_some());
}
