//! Helpers shared by the integration tests. Tests never read `../shared`: the upstream
//! document is represented by the committed `fixtures/upstream-trimmed.json` (and the previous
//! one by `fixtures/upstream-2026-08-trimmed.json`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The workspace root (parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The committed trimmed upstream document.
pub fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream-trimmed.json")
}

/// The committed trimmed copy of the previous upstream document (2026-08-22), to test the
/// summary of a real refresh against.
pub fn previous_fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream-2026-08-trimmed.json")
}

/// The trimmed upstream document, parsed.
pub fn fixture() -> Value {
    let text = std::fs::read_to_string(fixture_path()).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A fresh, empty temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates it.
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("xtask-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// A path inside it.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A temporary copy of the committed `spec/` directory.
pub fn spec_copy(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    for name in [
        "selection.json",
        "overlay.json",
        "upstream.json",
        "effective.json",
        "openapi.json",
        "SOURCE.json",
    ] {
        std::fs::copy(workspace_root().join("spec").join(name), dir.join(name))
            .expect("copy spec file");
    }
    dir
}

/// Every file of a directory with its bytes, sorted by name.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("dir entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read file"),
            )
        })
        .collect();
    out.sort();
    out
}

/// The committed overlay, parsed.
pub fn overlay() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("spec/overlay.json"))
        .expect("overlay readable");
    serde_json::from_str(&text).expect("overlay is JSON")
}

/// The 1-based number of the committed overlay's action with this target.
pub fn action_number(target: &str) -> usize {
    overlay()["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .position(|a| a["target"] == target)
        .unwrap_or_else(|| panic!("no action targets {target}"))
        + 1
}

/// Writes a JSON value to a file.
pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(
        path,
        serde_json::to_string_pretty(value).expect("serialise"),
    )
    .expect("write json");
}

/// Runs the xtask binary from the workspace root.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("run xtask")
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
