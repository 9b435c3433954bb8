//! The plan: what a push would do, computed from the local project and the remote tests,
//! printed for a reviewer (`create`, `update` with each changed JSON path, `unchanged: N`,
//! `remote only`) or as one JSON document.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::LocalTest;
use super::remote::{self, Listing};
use super::validate::{Body, FolderWant};
use crate::failure::Failure;

/// What a push does.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Tests to create: not pushed yet, or gone remotely.
    pub create: Vec<Create>,
    /// Tests whose fields or folder changed.
    pub update: Vec<Update>,
    /// How many tests are the same on both sides.
    pub unchanged: usize,
    /// Tests that exist remotely but not in the project (deleted only by `push --prune`).
    pub remote_only: Vec<RemoteOnly>,
}

/// A test to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Create {
    /// Index of the local test.
    #[serde(skip)]
    pub local: usize,
    /// Its name.
    pub name: String,
    /// Its config file.
    pub config: String,
    /// Its id in `tests.json` when the remote test is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_id: Option<String>,
}

/// A test to update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Update {
    /// Index of the local test.
    #[serde(skip)]
    pub local: usize,
    /// The test's id.
    pub id: String,
    /// Its name (the new one).
    pub name: String,
    /// Its config file.
    pub config: String,
    /// The changed fields; the folder as `folder_path` or `parent_folder_id`.
    pub changes: Vec<Change>,
    /// The remote folder's id now (`None`: the root).
    #[serde(skip)]
    pub remote_folder: Option<String>,
}

/// One changed field: its JSON path, the remote value and the local one (`None`: absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `name`, `chat_history[1].message`, `folder_path`...
    pub path: String,
    /// The remote value.
    pub old: Option<Value>,
    /// The project's value.
    pub new: Option<Value>,
}

/// A test only the remote side has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteOnly {
    /// The test's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

impl Plan {
    /// Whether a push would write anything (creates or updates; `remote only` tests are not
    /// deleted without `--prune`).
    pub fn has_changes(&self) -> bool {
        !self.create.is_empty() || !self.update.is_empty()
    }
}

/// Computes the plan. `remote` holds the GET bodies (in normal form) of the local tests
/// that have an id and exist in `listing`.
pub fn compute(locals: &[LocalTest], listing: &Listing, remote: &HashMap<String, Body>) -> Plan {
    let mut plan = Plan::default();
    let local_ids: BTreeSet<&str> = locals.iter().filter_map(|t| t.id.as_deref()).collect();
    for (i, local) in locals.iter().enumerate() {
        let found = local
            .id
            .as_deref()
            .and_then(|id| Some((id, listing.test(id)?, remote.get(id)?)));
        let Some((id, summary, body)) = found else {
            plan.create.push(Create {
                local: i,
                name: local.body.name().to_owned(),
                config: local.config.clone(),
                missing_id: local.id.clone(),
            });
            continue;
        };
        let mut changes = Vec::new();
        diff_values(
            "",
            Some(&Value::Object(body.fields.clone())),
            Some(&Value::Object(local.body.fields.clone())),
            &mut changes,
        );
        match &local.folder {
            FolderWant::Unspecified => {}
            FolderWant::Path(names) => {
                let now = remote::folder_names(summary);
                if &now != names {
                    changes.push(Change {
                        path: "folder_path".to_owned(),
                        old: Some(json!(now)),
                        new: Some(json!(names)),
                    });
                }
            }
            FolderWant::Id(want) => {
                let now = remote::folder_id(summary);
                if now.as_ref() != Some(want) {
                    changes.push(Change {
                        path: "parent_folder_id".to_owned(),
                        old: now.map(Value::from),
                        new: Some(Value::from(want.as_str())),
                    });
                }
            }
        }
        if changes.is_empty() {
            plan.unchanged += 1;
        } else {
            plan.update.push(Update {
                local: i,
                id: id.to_owned(),
                name: local.body.name().to_owned(),
                config: local.config.clone(),
                changes,
                remote_folder: remote::folder_id(summary),
            });
        }
    }
    plan.remote_only = listing
        .tests
        .iter()
        .filter(|t| !local_ids.contains(t.id.as_str()))
        .map(|t| RemoteOnly {
            id: t.id.clone(),
            name: t.name.clone(),
        })
        .collect();
    plan
}

/// Appends to `out` the paths where `old` and `new` differ: objects key by key, arrays index
/// by index, anything else as a whole.
pub fn diff_values(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                diff_values(&child_key(path, key), a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                diff_values(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a != b => out.push(Change {
            path: if path.is_empty() {
                "$".to_owned()
            } else {
                path.to_owned()
            },
            old: a.cloned(),
            new: b.cloned(),
        }),
        _ => {}
    }
}

/// `path.key`, or `path["odd key"]` when the key is not an identifier.
fn child_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    match (plain, path.is_empty()) {
        (true, true) => key.to_owned(),
        (true, false) => format!("{path}.{key}"),
        (false, _) => format!("{path}[{}]", Value::from(key)),
    }
}

/// A value for a one-line diff: JSON, strings longer than 60 characters shortened in the
/// middle, `(absent)` for none.
pub fn show(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".to_owned(),
        Some(Value::String(s)) => Value::from(shorten(s, 60)).to_string(),
        Some(other) => {
            let text = other.to_string();
            shorten(&text, 120)
        }
    }
}

/// `s` itself when it has at most `max` characters, else its start and end around `…`.
pub fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_owned();
    }
    let keep = (max - 1) / 2;
    let head: String = s.chars().take(keep).collect();
    let tail: String = s.chars().skip(n - keep).collect();
    format!("{head}…{tail}")
}

/// Prints the plan for a reviewer.
pub fn print(out: &mut dyn Write, plan: &Plan) -> Result<(), Failure> {
    for c in &plan.create {
        match &c.missing_id {
            Some(id) => writeln!(
                out,
                "create {} ({}; test {id} no longer exists)",
                c.name, c.config
            )?,
            None => writeln!(out, "create {} ({})", c.name, c.config)?,
        }
    }
    for u in &plan.update {
        writeln!(out, "update {} ({})", u.name, u.id)?;
        for change in &u.changes {
            writeln!(
                out,
                "    {}: {} -> {}",
                change.path,
                show(change.old.as_ref()),
                show(change.new.as_ref())
            )?;
        }
    }
    for r in &plan.remote_only {
        writeln!(out, "remote only: {} ({})", r.name, r.id)?;
    }
    writeln!(out, "unchanged: {}", plan.unchanged)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::validate;

    fn local(id: Option<&str>, fields: Value, folder: FolderWant) -> LocalTest {
        LocalTest {
            entry: Some(0),
            config: "test_configs/x.json".to_owned(),
            id: id.map(str::to_owned),
            folder,
            body: validate::check("x.json", &fields.to_string(), id.is_some())
                .unwrap()
                .body,
        }
    }

    fn summary(
        id: &str,
        name: &str,
        folders: &[(&str, &str)],
    ) -> elevenlabs_agent_tests::types::UnitTestSummaryResponseModel {
        serde_json::from_value(json!({
            "id": id, "name": name, "type": "llm", "created_at_unix_secs": 0, "last_updated_at_unix_secs": 0,
            "folder_parent_id": folders.last().map(|f| f.0),
            "folder_path": folders.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    #[test]
    fn the_plan_names_creates_updates_remote_only_and_counts_the_rest() {
        let same = json!({"type": "llm", "name": "Same", "success_condition": "ok"});
        let edited = json!({"type": "llm", "name": "Edited", "success_condition": "new",
            "chat_history": [{"role": "user", "message": "a", "time_in_call_secs": 0},
                             {"role": "agent", "message": "b2", "time_in_call_secs": 1}]});
        let before = json!({"id": "t2", "type": "llm", "name": "Edited", "success_condition": "old",
            "chat_history": [{"role": "user", "message": "a", "time_in_call_secs": 0},
                             {"role": "agent", "message": "b", "time_in_call_secs": 1}]});
        let locals = vec![
            local(Some("t1"), same.clone(), FolderWant::Unspecified),
            local(Some("t2"), edited, FolderWant::Unspecified),
            local(
                None,
                json!({"type": "tool", "name": "New"}),
                FolderWant::Unspecified,
            ),
            local(Some("gone"), same.clone(), FolderWant::Unspecified),
            local(Some("t4"), same.clone(), FolderWant::Path(vec!["A".into()])),
            local(Some("t5"), same.clone(), FolderWant::Path(vec![])),
            local(Some("t6"), same.clone(), FolderWant::Id("f9".into())),
        ];
        let listing = Listing {
            tests: vec![
                summary("t1", "Same", &[("f1", "A")]),
                summary("t2", "Edited", &[]),
                summary("t4", "Same", &[("f1", "A")]),
                summary("t5", "Same", &[("f1", "A")]),
                summary("t6", "Same", &[("f1", "A")]),
                summary("t3", "Other", &[]),
            ],
            folders: vec![],
        };
        let remote: HashMap<String, Body> = [
            ("t1", same.clone()),
            ("t2", before),
            ("t4", same.clone()),
            ("t5", same.clone()),
            ("t6", same),
        ]
        .into_iter()
        .map(|(id, v)| (id.to_owned(), validate::normalize_remote(&v)))
        .collect();
        let plan = compute(&locals, &listing, &remote);
        assert_eq!(
            plan.unchanged, 2,
            "t1 (folder unspecified) and t4 (same folder)"
        );
        assert_eq!(
            plan.create
                .iter()
                .map(|c| (c.local, c.missing_id.as_deref()))
                .collect::<Vec<_>>(),
            [(2, None), (3, Some("gone"))]
        );
        let paths: Vec<(&str, Vec<&str>)> = plan
            .update
            .iter()
            .map(|u| {
                (
                    u.id.as_str(),
                    u.changes.iter().map(|c| c.path.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                ("t2", vec!["chat_history[1].message", "success_condition"]),
                ("t5", vec!["folder_path"]),
                ("t6", vec!["parent_folder_id"]),
            ]
        );
        assert_eq!(plan.update[1].changes[0].new, Some(json!([])));
        assert_eq!(plan.update[2].remote_folder.as_deref(), Some("f1"));
        assert_eq!(
            plan.remote_only,
            [RemoteOnly {
                id: "t3".into(),
                name: "Other".into()
            }]
        );
        assert!(plan.has_changes());
        let mut text = Vec::new();
        print(&mut text, &plan).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("update Edited (t2)\n    chat_history[1].message: \"b\" -> \"b2\"\n"),
            "{text}"
        );
        assert!(
            text.contains("create New (test_configs/x.json)\n"),
            "{text}"
        );
        assert!(text.contains("remote only: Other (t3)\n"), "{text}");
        assert!(text.ends_with("unchanged: 2\n"), "{text}");
    }

    #[test]
    fn no_creates_and_no_updates_is_no_change() {
        let mut plan = Plan {
            unchanged: 3,
            remote_only: vec![RemoteOnly {
                id: "t".into(),
                name: "n".into(),
            }],
            ..Plan::default()
        };
        assert!(!plan.has_changes());
        plan.update.push(Update {
            local: 0,
            id: "t".into(),
            name: "n".into(),
            config: "c".into(),
            changes: vec![],
            remote_folder: None,
        });
        assert!(plan.has_changes());
    }

    #[test]
    fn paths_name_keys_and_indexes() {
        let mut out = Vec::new();
        diff_values(
            "",
            Some(&json!({"a": {"b c": 1, "d": [1, 2]}, "gone": true})),
            Some(&json!({"a": {"b c": 2, "d": [1]}, "new": null})),
            &mut out,
        );
        let shown: Vec<String> = out
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.path,
                    show(c.old.as_ref()),
                    show(c.new.as_ref())
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "a[\"b c\"]: 1 -> 2",
                "a.d[1]: 2 -> (absent)",
                "gone: true -> (absent)",
                "new: (absent) -> null"
            ]
        );
        let mut out = Vec::new();
        diff_values("", Some(&json!(1)), Some(&json!(2)), &mut out);
        assert_eq!(out[0].path, "$");
        assert_eq!(child_key("a", "1x"), "a[\"1x\"]");
        assert_eq!(child_key("", "x_1"), "x_1");
    }

    #[test]
    fn long_strings_are_shortened_in_the_middle() {
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdefg", 6), "ab…fg");
        let long = format!("start{}end", "x".repeat(100));
        let shown = show(Some(&Value::from(long)));
        assert_eq!(shown.chars().count(), 59 + 2);
        assert!(
            shown.starts_with("\"startxx") && shown.ends_with("xxend\""),
            "{shown}"
        );
        assert_eq!(show(None), "(absent)");
    }
}
