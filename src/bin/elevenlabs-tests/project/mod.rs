//! Tests as code: a project directory in the layout of the official ElevenLabs CLI (npm
//! `@elevenlabs/cli` 1.3.0), read, checked and written.
//!
//! ```text
//! tests.json                 {"tests": [{"config": "test_configs/<file>.json", "type": "llm", "id": "<test id>"}, ...]}
//! test_configs/<file>.json   one test: the fields of GET /v1/convai/agent-testing/{id}, 4-space indented
//! ```
//!
//! An entry may also carry `folder_path` (the names of the test's folders from the root, `[]`
//! for the root), which this program writes on pull; an entry without it says nothing about
//! the folder, and the remote one is left as it is. A config file under `test_configs/` that
//! no entry names is a new test (as the official CLI's push auto-registers it).
//!
//! [`plan`] compares the project with the remote tests, [`remote`] reads those, [`pull`] and
//! [`push`] write one side from the other.

pub mod plan;
pub mod pull;
pub mod push;
pub mod remote;
pub mod validate;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::failure::Failure;

/// The project's index file, at its root.
pub const TESTS_FILE: &str = "tests.json";
/// Where the config files go, under the root.
pub const CONFIG_DIR: &str = "test_configs";

/// `tests.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// One entry per test.
    pub tests: Vec<Entry>,
    /// Keys this program does not know, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One test of `tests.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The config file, relative to the root, `/`-separated.
    pub config: String,
    /// The test's kind: `llm`, `tool` or `simulation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The test's id; absent for a test not pushed yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The test's folders, by name, from the root (`[]`: the root); absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_path: Option<Vec<String>>,
    /// Keys this program does not know, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Entry {
    /// `tests.json entry 3 (test_configs/a.json)`, for messages.
    pub fn describe(&self, index: usize) -> String {
        format!("{TESTS_FILE} entry {} ({})", index + 1, self.config)
    }
}

/// A project on disk: its root and its `tests.json`.
#[derive(Debug, Clone)]
pub struct Project {
    /// The root directory (`--dir`).
    pub root: PathBuf,
    /// `tests.json` as read (empty when there is none).
    pub manifest: Manifest,
    /// Whether `tests.json` exists.
    pub exists: bool,
}

/// A test of the project: its entry (or none for an untracked config file) and its config.
#[derive(Debug, Clone)]
pub struct LocalTest {
    /// Its index in `tests.json`; `None` for an untracked config file.
    pub entry: Option<usize>,
    /// The config path relative to the root, `/`-separated.
    pub config: String,
    /// The test's id, if pushed.
    pub id: Option<String>,
    /// The folder the project asks for.
    pub folder: validate::FolderWant,
    /// The checked config: the body fields to send (no `parent_folder_id`).
    pub body: validate::Body,
}

impl Project {
    /// Reads `DIR/tests.json` (none: an empty project) and checks its entries: each config
    /// path inside the root, each id once.
    pub fn open(root: &Path) -> Result<Project, Failure> {
        let path = root.join(TESTS_FILE);
        let (manifest, exists) = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let de = &mut serde_json::Deserializer::from_str(&text);
                let manifest: Manifest = serde_path_to_error::deserialize(de).map_err(|e| {
                    Failure::Usage(format!(
                        "{} is not a valid {TESTS_FILE}: at `{}`: {}",
                        path.display(),
                        e.path(),
                        e.inner()
                    ))
                })?;
                (manifest, true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Manifest::default(), false),
            Err(e) => {
                return Err(Failure::Usage(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let mut seen = std::collections::HashMap::new();
        for (i, entry) in manifest.tests.iter().enumerate() {
            check_config_path(&entry.config)
                .map_err(|why| Failure::Usage(format!("{}: {why}", entry.describe(i))))?;
            if let Some(id) = &entry.id
                && let Some(first) = seen.insert(id.clone(), i)
            {
                return Err(Failure::Usage(format!(
                    "{}: test {id} is already {}",
                    entry.describe(i),
                    manifest.tests[first].describe(first)
                )));
            }
        }
        Ok(Project {
            root: root.to_owned(),
            manifest,
            exists,
        })
    }

    /// [`Project::open`], but a project must exist.
    pub fn open_existing(root: &Path) -> Result<Project, Failure> {
        let project = Project::open(root)?;
        if !project.exists {
            return Err(Failure::Usage(format!(
                "no {TESTS_FILE} in {}: run `elevenlabs-tests tests pull --dir {}` first, or pass --dir",
                root.display(),
                root.display()
            )));
        }
        Ok(project)
    }

    /// Reads and checks every config: those of `tests.json`, then the untracked ones under
    /// `test_configs/`. The first bad one stops it, named with its JSON path.
    pub fn load_tests(&self) -> Result<Vec<LocalTest>, Failure> {
        let mut tests = Vec::new();
        for (i, entry) in self.manifest.tests.iter().enumerate() {
            let text = std::fs::read_to_string(self.root.join(&entry.config)).map_err(|e| {
                Failure::Usage(format!(
                    "{}: cannot read the config: {e}",
                    entry.describe(i)
                ))
            })?;
            let checked = validate::check(&entry.config, &text, entry.id.is_some())?;
            if checked.body.kind != entry.kind {
                return Err(Failure::Usage(format!(
                    "{}: `type` is {:?} in {TESTS_FILE} but {:?} in the config",
                    entry.describe(i),
                    entry.kind,
                    checked.body.kind
                )));
            }
            let folder = match &entry.folder_path {
                Some(names) => validate::FolderWant::Path(names.clone()),
                None => checked.folder,
            };
            tests.push(LocalTest {
                entry: Some(i),
                config: entry.config.clone(),
                id: entry.id.clone(),
                folder,
                body: checked.body,
            });
        }
        let tracked: BTreeSet<String> = self
            .manifest
            .tests
            .iter()
            .map(|e| e.config.clone())
            .collect();
        for config in config_files(&self.root)? {
            if tracked.contains(&config) {
                continue;
            }
            let text = std::fs::read_to_string(self.root.join(&config))
                .map_err(|e| Failure::Usage(format!("cannot read {config}: {e}")))?;
            let checked = validate::check(&config, &text, false)?;
            tests.push(LocalTest {
                entry: None,
                config,
                id: None,
                folder: checked.folder,
                body: checked.body,
            });
        }
        Ok(tests)
    }

    /// Writes `tests.json` when its content changed (atomically); whether it did.
    pub fn save(&self) -> Result<bool, Failure> {
        write_if_changed(&self.root.join(TESTS_FILE), &pretty(&self.manifest)?)
    }
}

/// The ids of the project's tests in `DIR/tests.json`, in its order; the entries not pushed
/// yet (no id) are a usage error naming them.
pub fn test_ids(dir: &Path) -> Result<Vec<String>, Failure> {
    let project = Project::open_existing(dir)?;
    let unpushed: Vec<String> = project
        .manifest
        .tests
        .iter()
        .enumerate()
        .filter(|(_, e)| e.id.is_none())
        .map(|(i, e)| e.describe(i))
        .collect();
    if !unpushed.is_empty() {
        return Err(Failure::Usage(format!(
            "not pushed yet (no id), run `elevenlabs-tests tests push` first: {}",
            unpushed.join(", ")
        )));
    }
    let ids: Vec<String> = project
        .manifest
        .tests
        .into_iter()
        .filter_map(|e| e.id)
        .collect();
    if ids.is_empty() {
        return Err(Failure::Usage(format!(
            "{} has no tests",
            dir.join(TESTS_FILE).display()
        )));
    }
    Ok(ids)
}

/// A config path must be relative, inside the root, and name a file.
fn check_config_path(config: &str) -> Result<(), String> {
    let path = Path::new(config);
    if config.is_empty() || config.ends_with('/') {
        return Err("`config` must name a file".to_owned());
    }
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "`config` {config:?} leaves the project root (`..`)"
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`config` {config:?} must be relative to the project root"
                ));
            }
        }
    }
    Ok(())
}

/// Every `*.json` under `ROOT/test_configs`, recursively, as `/`-separated paths relative to
/// the root, sorted.
fn config_files(root: &Path) -> Result<Vec<String>, Failure> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::from(CONFIG_DIR)];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(root.join(&dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Failure::Usage(format!(
                    "cannot read {}: {e}",
                    root.join(&dir).display()
                )));
            }
        };
        for entry in entries {
            let entry =
                entry.map_err(|e| Failure::Usage(format!("cannot read {}: {e}", dir.display())))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue; // our temporary files, editors' files
            }
            let rel = dir.join(name);
            let kind = entry
                .file_type()
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", rel.display())))?;
            if kind.is_dir() {
                dirs.push(rel);
            } else if name.ends_with(".json") {
                let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
                found.push(parts.join("/"));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The file name stem for a test called `name`: safe on every OS (no `/ \ : * ? " < > |`,
/// no control characters, no leading or trailing dot or space), spaces as `-`, at most 100
/// characters; `test` when nothing is left.
pub fn file_stem(name: &str) -> String {
    let mut stem: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c if c.is_whitespace() => '-',
            c => c,
        })
        .take(100)
        .collect();
    stem = stem.trim_matches(|c| c == '.' || c == ' ').to_owned();
    // Names Windows reserves for devices, whatever the extension.
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&stem)) {
        stem.push('_');
    }
    if stem.is_empty() {
        stem = "test".to_owned();
    }
    stem
}

/// A config path for a new test called `name`, not in `taken` (compared without case, as
/// macOS and Windows do): `test_configs/NAME.json`, else `NAME-1.json`, `NAME-2.json`...
/// Adds it to `taken`.
pub fn new_config_path(name: &str, taken: &mut BTreeSet<String>) -> String {
    let stem = file_stem(name);
    let mut n = 0u32;
    loop {
        let candidate = if n == 0 {
            format!("{CONFIG_DIR}/{stem}.json")
        } else {
            format!("{CONFIG_DIR}/{stem}-{n}.json")
        };
        if taken.insert(candidate.to_lowercase()) {
            return candidate;
        }
        n += 1;
    }
}

/// `value` as JSON indented with 4 spaces (as the official CLI writes), and a final newline.
pub fn pretty(value: &impl Serialize) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut ser)
        .map_err(|e| Failure::Io(format!("cannot encode JSON: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// Writes `bytes` to `path` unless it holds them already (then the file, and its mtime, are
/// left alone); atomically: a temporary file in the same directory, then a rename, so an
/// interrupted write never leaves half a file. Whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, Failure> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let io = |e: std::io::Error| Failure::Io(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    // No fsync: the rename makes the new content appear whole or not at all to every
    // reader, which is what an interrupted pull needs; a power cut is another matter, and
    // syncing 500 files took seconds (the pull is run again).
    let written = std::fs::File::create(&temp).and_then(|mut f| f.write_all(bytes));
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(io(e));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_project_files_are_errors_not_an_empty_project() {
        let root = std::env::temp_dir().join(format!("elt-unreadable-{}", std::process::id()));
        // tests.json that is a directory: not "no tests.json yet".
        std::fs::create_dir_all(root.join(TESTS_FILE)).unwrap();
        let err = Project::open(&root).unwrap_err();
        assert!(
            matches!(&err, Failure::Usage(m) if m.starts_with("cannot read")),
            "{err:?}"
        );
        // test_configs that is a file: not "no config files".
        std::fs::remove_dir_all(root.join(TESTS_FILE)).unwrap();
        std::fs::write(root.join(CONFIG_DIR), "not a directory").unwrap();
        let err = config_files(&root).unwrap_err();
        assert!(
            matches!(&err, Failure::Usage(m) if m.starts_with("cannot read")),
            "{err:?}"
        );
        // Missing, both are an empty project.
        std::fs::remove_file(root.join(CONFIG_DIR)).unwrap();
        assert!(!Project::open(&root).unwrap().exists);
        assert!(config_files(&root).unwrap().is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn file_names_are_safe_everywhere() {
        assert_eq!(file_stem("Greets the caller"), "Greets-the-caller");
        assert_eq!(file_stem("a/b\\c:d*e?f\"g<h>i|j"), "a_b_c_d_e_f_g_h_i_j");
        assert_eq!(file_stem("tab\there\nnew"), "tab_here_new");
        assert_eq!(file_stem("  ..hidden.  "), "hidden");
        assert_eq!(file_stem(""), "test");
        assert_eq!(file_stem("..."), "test");
        assert_eq!(file_stem("con"), "con_");
        assert_eq!(file_stem("Console"), "Console");
        assert_eq!(file_stem(&"x".repeat(300)).len(), 100);
        assert_eq!(file_stem("Café ☕"), "Café-☕");
    }

    #[test]
    fn a_repeated_name_gets_a_numbered_file() {
        let mut taken = BTreeSet::new();
        assert_eq!(new_config_path("A b", &mut taken), "test_configs/A-b.json");
        assert_eq!(
            new_config_path("A b", &mut taken),
            "test_configs/A-b-1.json"
        );
        // Another case is the same file on macOS and Windows.
        assert_eq!(
            new_config_path("a B", &mut taken),
            "test_configs/a-B-2.json"
        );
        assert_eq!(new_config_path("c", &mut taken), "test_configs/c.json");
    }

    #[test]
    fn config_paths_stay_inside_the_root() {
        assert!(check_config_path("test_configs/a.json").is_ok());
        assert!(check_config_path("./test_configs/sub/a.json").is_ok());
        for bad in [
            "../x.json",
            "test_configs/../../x.json",
            "/etc/x.json",
            "",
            "dir/",
        ] {
            assert!(check_config_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_is_indented_with_four_spaces() {
        let bytes = pretty(&serde_json::json!({"a": [1]})).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "{\n    \"a\": [\n        1\n    ]\n}\n"
        );
    }

    #[test]
    fn writes_are_skipped_when_nothing_changed_and_leave_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("project-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/a.json");
        assert!(write_if_changed(&path, b"one").unwrap());
        assert!(!write_if_changed(&path, b"one").unwrap());
        assert!(write_if_changed(&path, b"two").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_keys_of_tests_json_are_kept() {
        let text =
            r#"{"tests":[{"config":"test_configs/a.json","type":"llm","id":"t1","x":1}],"y":2}"#;
        let manifest: Manifest = serde_json::from_str(text).unwrap();
        assert_eq!(manifest.tests[0].extra["x"], 1);
        let back = serde_json::to_value(&manifest).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
    }
}
