//! Tests as code, end to end: `elevenlabs-tests tests pull / diff / push` and `run --project`
//! run as a process against the crate's embedded fake server (started here, on loopback),
//! whose recorded requests show what was written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use elevenlabs_agent_tests::fake::FakeServer;
use elevenlabs_agent_tests::types::GetTestResponse;
use serde_json::{Value, json};

use crate::process::{Out, run_with_limit};
use crate::scratch::Scratch;

// ----------------------------------------------------------------------------------------
// Running the program
// ----------------------------------------------------------------------------------------

/// Runs the program against `server`, off the runtime's thread.
async fn run(server: &FakeServer, args: &[&str]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_elevenlabs-tests"));
    cmd.arg("--base-url")
        .arg(server.url())
        .args(args)
        .env("ELEVENLABS_API_KEY", server.api_key())
        .env_remove("ELEVENLABS_BASE_URL");
    tokio::task::spawn_blocking(move || Out(run_with_limit(cmd, Duration::from_secs(60))))
        .await
        .unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The write requests (any method but GET) the fake has recorded.
fn writes(server: &FakeServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, value: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// The entries of `DIR/tests.json`.
fn entries(dir: &Path) -> Vec<Value> {
    read_json(&dir.join("tests.json"))["tests"]
        .as_array()
        .unwrap()
        .clone()
}

/// The entry and config path of the test called `name`.
fn find(dir: &Path, name: &str) -> (Value, PathBuf) {
    for entry in entries(dir) {
        let path = dir.join(entry["config"].as_str().unwrap());
        if read_json(&path)["name"] == name {
            return (entry, path);
        }
    }
    panic!("no test called {name:?} in {}", dir.display())
}

/// Every file under `dir` with its bytes and mtime.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dirs.push(e.path());
            } else {
                let meta = e.metadata().unwrap();
                out.push((
                    e.path(),
                    std::fs::read(e.path()).unwrap(),
                    meta.modified().unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

async fn get_test(server: &FakeServer, id: &str) -> Value {
    let test: GetTestResponse = server
        .client()
        .get_test()
        .test_id(id)
        .send()
        .await
        .unwrap()
        .into_inner();
    serde_json::to_value(test).unwrap()
}

/// A project pulled from `server` into a fresh directory.
async fn pulled(server: &FakeServer) -> Scratch {
    let dir = Scratch::new();
    run(server, &["tests", "pull", "--dir", s(&dir)])
        .await
        .expect(0);
    dir
}

// ----------------------------------------------------------------------------------------
// The round trip
// ----------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_diff_edit_push_and_a_second_push_writes_nothing() {
    let server = FakeServer::start().await.unwrap();
    let remote = server.tests();
    let dir = pulled(&server).await;

    // Every test, every kind, its folders, in the official CLI's layout.
    let list = entries(&dir);
    assert_eq!(list.len(), remote.len());
    let kinds: BTreeSet<&str> = list.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, BTreeSet::from(["llm", "simulation", "tool"]));
    for summary in &remote {
        let entry = list
            .iter()
            .find(|e| e["id"] == summary.id.as_str())
            .unwrap_or_else(|| panic!("{} is not in tests.json", summary.id));
        let config = entry["config"].as_str().unwrap();
        assert!(
            config.starts_with("test_configs/") && config.ends_with(".json"),
            "{config}"
        );
        let text = std::fs::read_to_string(dir.join(config)).unwrap();
        assert!(text.starts_with("{\n    \""), "4-space indentation: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            get_test(&server, &summary.id).await,
            "{config} is the GET body"
        );
        let names: Vec<&str> = summary
            .folder_path
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(entry["folder_path"], json!(names), "{config}");
    }
    assert!(
        list.iter().any(|e| e["folder_path"] != json!([])),
        "some test is in a folder"
    );
    let configs: BTreeSet<&str> = list.iter().map(|e| e["config"].as_str().unwrap()).collect();
    assert_eq!(configs.len(), list.len(), "one file per test");

    // A second pull rewrites nothing.
    let before = snapshot(&dir);
    std::thread::sleep(Duration::from_millis(20));
    let out = run(&server, &["tests", "pull", "--dir", s(&dir)])
        .await
        .expect(0);
    assert!(
        out.stdout()
            .contains(&format!("0 new, 0 updated, {} unchanged", remote.len())),
        "{}",
        out.stdout()
    );
    assert_eq!(snapshot(&dir), before, "bytes and mtimes unchanged");

    // No change: the plan says so.
    server.clear_requests();
    let out = run(&server, &["tests", "diff", "--dir", s(&dir), "--exit-code"])
        .await
        .expect(0);
    assert_eq!(out.stdout(), format!("unchanged: {}\n", remote.len()));
    assert!(writes(&server).is_empty());

    // One field edited: the diff names exactly that path.
    let llm = list.iter().find(|e| e["type"] == "llm").unwrap();
    let id = llm["id"].as_str().unwrap().to_owned();
    let path = dir.join(llm["config"].as_str().unwrap());
    let mut config = read_json(&path);
    let name = config["name"].as_str().unwrap().to_owned();
    let old = config["success_condition"].clone();
    config["success_condition"] = json!("The agent greets the caller by name");
    write_json(&path, &config);
    let out = run(&server, &["tests", "diff", "--dir", s(&dir), "--exit-code"])
        .await
        .expect(1);
    // The old value is long: shortened in the middle.
    let old_text = old.as_str().unwrap();
    assert!(old_text.chars().count() > 60, "{old_text}");
    let head: String = old_text.chars().take(29).collect();
    let tail: String = old_text
        .chars()
        .skip(old_text.chars().count() - 29)
        .collect();
    assert_eq!(
        out.stdout(),
        format!(
            "update {name} ({id})\n    success_condition: \"{head}…{tail}\" -> \"The agent greets the caller by name\"\nunchanged: {}\n",
            remote.len() - 1
        )
    );
    // Without --exit-code, a diff is not a failure.
    run(&server, &["tests", "diff", "--dir", s(&dir)])
        .await
        .expect(0);
    let out = run(&server, &["--json", "tests", "diff", "--dir", s(&dir)])
        .await
        .expect(0);
    let plan: Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_eq!(
        plan["update"][0]["changes"],
        json!([{"path": "success_condition", "old": old, "new": "The agent greets the caller by name"}])
    );
    assert_eq!(plan["create"], json!([]));
    assert_eq!(plan["unchanged"], remote.len() - 1);
    assert!(writes(&server).is_empty(), "diff never writes");

    // Push: one write, the update; the test keeps its folder.
    let folder_before = server
        .tests()
        .into_iter()
        .find(|t| t.id == id)
        .unwrap()
        .folder_parent_id;
    let out = run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    // The plan first, then what was done.
    assert!(
        out.stdout()
            .starts_with(&format!("update {name} ({id})\n    success_condition: ")),
        "{}",
        out.stdout()
    );
    assert!(
        out.stdout().contains(&format!("updated {name} ({id})")),
        "{}",
        out.stdout()
    );
    assert_eq!(
        writes(&server),
        [format!("PUT /v1/convai/agent-testing/{id} 200")]
    );
    assert_eq!(
        get_test(&server, &id).await["success_condition"],
        "The agent greets the caller by name"
    );
    let folder_after = server
        .tests()
        .into_iter()
        .find(|t| t.id == id)
        .unwrap()
        .folder_parent_id;
    assert_eq!(folder_after, folder_before);

    // A second push makes no write request at all.
    server.clear_requests();
    let out = run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    assert!(
        out.stdout().ends_with("nothing to push\n"),
        "{}",
        out.stdout()
    );
    assert!(writes(&server).is_empty(), "{:?}", writes(&server));

    // No API key in any file written.
    for (path, bytes, _) in snapshot(&dir) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(server.api_key()),
            "{} holds the key",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_creates_new_tests_of_every_kind_and_their_folders() {
    let server = FakeServer::start().await.unwrap();
    let dir = pulled(&server).await;
    let mut manifest = read_json(&dir.join("tests.json"));
    // A new tool test, listed without an id, in folders that do not exist yet.
    write_json(
        &dir.join("test_configs/new-tool.json"),
        &json!({"type": "tool", "name": "Calls the refund tool", "chat_history": [{"role": "user", "message": "refund", "time_in_call_secs": 0}]}),
    );
    manifest["tests"].as_array_mut().unwrap().push(json!({
        "config": "test_configs/new-tool.json", "type": "tool", "folder_path": ["Tests as code", "Tools"]
    }));
    // A new simulation test the official CLI would auto-register: a file no entry names.
    write_json(
        &dir.join("test_configs/sub/new-sim.json"),
        &json!({"type": "simulation", "name": "Simulated caller", "simulation_scenario": "asks for a refund", "success_conditions": ["polite"]}),
    );
    // An existing test moved to the root, another one to a new folder.
    let tests = manifest["tests"].as_array_mut().unwrap();
    let in_folder = tests
        .iter()
        .position(|e| e["folder_path"] != json!([]))
        .unwrap();
    let old_folder = tests[in_folder]["folder_path"].clone();
    tests[in_folder]["folder_path"] = json!([]);
    let moved_id = tests[in_folder]["id"].as_str().unwrap().to_owned();
    let at_root = tests
        .iter()
        .position(|e| e["folder_path"] == json!([]))
        .unwrap();
    tests[at_root]["folder_path"] = json!(["Tests as code"]);
    let moved_in_id = tests[at_root]["id"].as_str().unwrap().to_owned();
    write_json(&dir.join("tests.json"), &manifest);

    let out = run(&server, &["tests", "diff", "--dir", s(&dir)])
        .await
        .expect(0);
    let text = out.stdout();
    assert!(
        text.contains("create Calls the refund tool (test_configs/new-tool.json)\n"),
        "{text}"
    );
    assert!(
        text.contains("create Simulated caller (test_configs/sub/new-sim.json)\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("    folder_path: {old_folder} -> []\n")),
        "{text}"
    );
    assert!(
        text.contains("    folder_path: [] -> [\"Tests as code\"]\n"),
        "{text}"
    );

    server.clear_requests();
    run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    let w = writes(&server);
    assert_eq!(
        w.iter()
            .filter(|r| r.starts_with("POST /v1/convai/agent-testing/folders"))
            .count(),
        2,
        "{w:?}"
    );
    assert_eq!(
        w.iter()
            .filter(|r| r.starts_with("POST /v1/convai/agent-testing/create"))
            .count(),
        2,
        "{w:?}"
    );
    assert_eq!(
        w.iter().filter(|r| r.starts_with("PUT ")).count(),
        2,
        "{w:?}"
    );

    let (tool, _) = find(&dir, "Calls the refund tool");
    let tool_id = tool["id"].as_str().expect("the new id is in tests.json");
    let (sim, _) = find(&dir, "Simulated caller");
    assert_eq!(sim["config"], "test_configs/sub/new-sim.json");
    assert_eq!(sim["type"], "simulation");
    let sim_id = sim["id"].as_str().unwrap();
    let remote = server.tests();
    let by_id = |id: &str| remote.iter().find(|t| t.id == id).unwrap().clone();
    let names = |id: &str| -> Vec<String> {
        by_id(id)
            .folder_path
            .iter()
            .map(|f| f.name.clone())
            .collect()
    };
    assert_eq!(names(tool_id), ["Tests as code", "Tools"]);
    assert_eq!(names(sim_id), Vec::<String>::new());
    assert_eq!(names(&moved_id), Vec::<String>::new());
    assert_eq!(names(&moved_in_id), ["Tests as code"]);
    assert_eq!(
        get_test(&server, tool_id).await["chat_history"][0]["message"],
        "refund"
    );

    server.clear_requests();
    run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    assert!(writes(&server).is_empty(), "{:?}", writes(&server));
}

// ----------------------------------------------------------------------------------------
// Bad input: exit 2, named, nothing written
// ----------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_named_and_nothing_is_sent() {
    let server = FakeServer::start().await.unwrap();
    let dir = pulled(&server).await;
    let pristine = std::fs::read(dir.join("tests.json")).unwrap();
    let sim = entries(&dir)
        .into_iter()
        .find(|e| e["type"] == "simulation")
        .unwrap();
    let sim_config = sim["config"].as_str().unwrap().to_owned();
    let sim_text = std::fs::read_to_string(dir.join(&sim_config)).unwrap();

    type Edit = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Edit, Vec<String>)> = vec![
        (
            "not JSON",
            Box::new({
                let c = sim_config.clone();
                move |d: &Path| std::fs::write(d.join(&c), "{\"type\": \"simulation\",").unwrap()
            }),
            vec![format!("{sim_config} is not a valid test: not JSON")],
        ),
        (
            "unknown type",
            Box::new({
                let c = sim_config.clone();
                move |d: &Path| {
                    let mut v = read_json(&d.join(&c));
                    v["type"] = json!("voice");
                    write_json(&d.join(&c), &v);
                }
            }),
            vec![
                format!("{sim_config} is not a valid test: at `type`"),
                "\"voice\"".into(),
            ],
        ),
        (
            "wrong field type",
            Box::new({
                let c = sim_config.clone();
                move |d: &Path| {
                    let mut v = read_json(&d.join(&c));
                    v["success_conditions"] = json!("one");
                    write_json(&d.join(&c), &v);
                }
            }),
            vec![
                format!("{sim_config} is not a valid test: at `success_conditions`"),
                "expected a sequence".into(),
            ],
        ),
        (
            "a bound of the spec",
            Box::new({
                let c = sim_config.clone();
                move |d: &Path| {
                    let mut v = read_json(&d.join(&c));
                    v["simulation_max_turns"] = json!(0);
                    write_json(&d.join(&c), &v);
                }
            }),
            vec![
                format!("{sim_config} is not a valid test: at `simulation_max_turns`"),
                "nonzero".into(),
            ],
        ),
        (
            "missing config file",
            Box::new({
                let c = sim_config.clone();
                move |d: &Path| std::fs::remove_file(d.join(&c)).unwrap()
            }),
            vec![format!("({sim_config}): cannot read the config")],
        ),
        (
            "two entries for one id",
            Box::new(|d: &Path| {
                let mut m = read_json(&d.join("tests.json"));
                let first = m["tests"][0].clone();
                m["tests"][1]["id"] = first["id"].clone();
                write_json(&d.join("tests.json"), &m);
            }),
            vec![
                "tests.json entry 2".into(),
                "is already tests.json entry 1".into(),
            ],
        ),
        (
            "a config outside the root",
            Box::new(|d: &Path| {
                let mut m = read_json(&d.join("tests.json"));
                m["tests"][0]["config"] = json!("../x.json");
                write_json(&d.join("tests.json"), &m);
            }),
            vec![
                "tests.json entry 1 (../x.json)".into(),
                "leaves the project root".into(),
            ],
        ),
    ];
    for (what, edit, expected) in cases {
        std::fs::write(dir.join("tests.json"), &pristine).unwrap();
        std::fs::write(dir.join(&sim_config), &sim_text).unwrap();
        // Some other edit, so that a push would have something to write.
        let first = dir.join(entries(&dir)[0]["config"].as_str().unwrap());
        let mut v = read_json(&first);
        v["name"] = json!("Renamed");
        write_json(&first, &v);
        edit(&dir);
        server.clear_requests();
        for command in ["diff", "push"] {
            let out = run(&server, &["tests", command, "--dir", s(&dir)])
                .await
                .expect(2);
            for needle in &expected {
                assert!(
                    out.stderr().contains(needle.as_str()),
                    "{what}, {command}: {needle:?} not in\n{}",
                    out.stderr()
                );
            }
        }
        assert!(writes(&server).is_empty(), "{what}: {:?}", writes(&server));
        assert!(
            server.requests().is_empty(),
            "{what}: checked before any request"
        );
    }
    // No project at all.
    let empty = Scratch::new();
    let out = run(&server, &["tests", "push", "--dir", s(&empty)])
        .await
        .expect(2);
    assert!(
        out.stderr().contains("no tests.json in"),
        "{}",
        out.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_push_is_completed_by_the_next_one() {
    let server = FakeServer::start().await.unwrap();
    let dir = pulled(&server).await;
    let mut manifest = read_json(&dir.join("tests.json"));
    for i in 0..4 {
        let config = format!("test_configs/new-{i}.json");
        write_json(
            &dir.join(&config),
            &json!({"type": "llm", "name": format!("New {i}"), "success_condition": "ok"}),
        );
        manifest["tests"]
            .as_array_mut()
            .unwrap()
            .push(json!({"config": config, "type": "llm"}));
    }
    write_json(&dir.join("tests.json"), &manifest);
    let count_before = server.tests().len();

    server.clear_requests();
    server.fail_writes(2, 1, 500);
    let out = run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(3);
    let err = out.stderr();
    assert!(err.contains("push stopped after 2 of 4 changes"), "{err}");
    assert!(err.contains("  applied:     created New 0 ("), "{err}");
    assert!(err.contains("  applied:     created New 1 ("), "{err}");
    assert!(err.contains("  not applied: create New 2\n"), "{err}");
    assert!(err.contains("  not applied: create New 3\n"), "{err}");
    assert!(err.contains("500"), "{err}");
    // tests.json holds the ids of what was created, and only those.
    let list = entries(&dir);
    let new: Vec<&Value> = list
        .iter()
        .filter(|e| e["config"].as_str().unwrap().contains("/new-"))
        .collect();
    assert_eq!(new.iter().filter(|e| e["id"].is_string()).count(), 2);
    assert_eq!(server.tests().len(), count_before + 2);

    let out = run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    assert!(out.stdout().contains("created New 2"), "{}", out.stdout());
    assert_eq!(
        server.tests().len(),
        count_before + 4,
        "no test created twice"
    );
    assert!(entries(&dir).iter().all(|e| e["id"].is_string()));
    server.clear_requests();
    run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    assert!(writes(&server).is_empty());
}

// ----------------------------------------------------------------------------------------
// The official CLI's files, --prune, run --project
// ----------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_written_by_the_official_cli_is_read() {
    let server = FakeServer::start().await.unwrap();
    let llm = server
        .tests()
        .into_iter()
        .find(|t| t.type_.as_str() == "llm" && !t.folder_path.is_empty())
        .unwrap();
    let remote = get_test(&server, &llm.id).await;
    let dir = Scratch::new();
    // As the official CLI 1.3.0 writes them: no folder, `id` in the config, 4 spaces.
    std::fs::write(
        dir.join("tests.json"),
        format!("{{\n    \"tests\": [\n        {{\n            \"config\": \"test_configs/Official.json\",\n            \"type\": \"llm\",\n            \"id\": \"{}\"\n        }}\n    ]\n}}", llm.id),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("test_configs")).unwrap();
    std::fs::write(
        dir.join("test_configs/Official.json"),
        format!(
            "{{\n    \"id\": \"{}\",\n    \"name\": {},\n    \"type\": \"llm\",\n    \"success_condition\": \"Hand-written condition\",\n    \"chat_history\": {}\n}}",
            llm.id,
            remote["name"],
            serde_json::to_string_pretty(&remote["chat_history"]).unwrap().replace('\n', "\n    ")
        ),
    )
    .unwrap();
    let out = run(&server, &["--json", "tests", "diff", "--dir", s(&dir)])
        .await
        .expect(0);
    let plan: Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_eq!(plan["update"].as_array().unwrap().len(), 1, "{plan}");
    let paths: BTreeSet<&str> = plan["update"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    // The fields the file does not have are absent locally; no folder change: the file says
    // nothing about folders.
    assert!(paths.contains("success_condition"), "{paths:?}");
    assert!(
        !paths.contains("folder_path") && !paths.contains("parent_folder_id"),
        "{paths:?}"
    );
    assert!(
        !paths.contains("id") && !paths.contains("chat_history"),
        "{paths:?}"
    );
    assert_eq!(
        plan["remote_only"].as_array().unwrap().len(),
        server.tests().len() - 1
    );
    server.clear_requests();
    run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    assert_eq!(
        writes(&server),
        [format!("PUT /v1/convai/agent-testing/{} 200", llm.id)]
    );
    let after = server.tests().into_iter().find(|t| t.id == llm.id).unwrap();
    assert_eq!(
        after.folder_parent_id, llm.folder_parent_id,
        "the folder is left as it is"
    );
    assert_eq!(
        get_test(&server, &llm.id).await["success_condition"],
        "Hand-written condition"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_deletes_remote_only_tests_only_when_confirmed() {
    let server = FakeServer::start().await.unwrap();
    let dir = pulled(&server).await;
    let mut manifest = read_json(&dir.join("tests.json"));
    let dropped = manifest["tests"].as_array_mut().unwrap().split_off(20);
    write_json(&dir.join("tests.json"), &manifest);
    for entry in &dropped {
        std::fs::remove_file(dir.join(entry["config"].as_str().unwrap())).unwrap();
    }
    let out = run(&server, &["tests", "diff", "--dir", s(&dir), "--exit-code"])
        .await
        .expect(0);
    assert_eq!(out.stdout().matches("remote only: ").count(), dropped.len());

    server.clear_requests();
    // Standard input is not a terminal here: without --yes it refuses.
    let out = run(&server, &["tests", "push", "--dir", s(&dir), "--prune"])
        .await
        .expect(2);
    assert!(
        out.stderr().contains(&format!(
            "--prune would delete {} remote tests",
            dropped.len()
        )),
        "{}",
        out.stderr()
    );
    assert!(writes(&server).is_empty());
    run(&server, &["tests", "push", "--dir", s(&dir)])
        .await
        .expect(0);
    assert!(writes(&server).is_empty(), "never deleted unless asked");

    let out = run(
        &server,
        &["tests", "push", "--dir", s(&dir), "--prune", "--yes"],
    )
    .await
    .expect(0);
    assert_eq!(
        out.stdout().matches("\ndeleted ").count(),
        dropped.len(),
        "each deletion said: {}",
        out.stdout()
    );
    let mut deleted: Vec<String> = writes(&server);
    deleted.sort();
    let mut expected: Vec<String> = dropped
        .iter()
        .map(|e| {
            format!(
                "DELETE /v1/convai/agent-testing/{} 200",
                e["id"].as_str().unwrap()
            )
        })
        .collect();
    expected.sort();
    assert_eq!(deleted, expected);
    assert_eq!(server.tests().len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_project_runs_the_tests_of_tests_json_and_refuses_unpushed_ones() {
    let server = FakeServer::start().await.unwrap();
    let agent = server.demo_agent_id().unwrap().to_owned();
    let dir = pulled(&server).await;
    let mut manifest = read_json(&dir.join("tests.json"));
    manifest["tests"].as_array_mut().unwrap().truncate(3);
    let ids: Vec<String> = manifest["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    write_json(&dir.join("tests.json"), &manifest);
    run(
        &server,
        &["run", "--project", "--dir", s(&dir), "--agent", &agent],
    )
    .await
    .expect(0);
    let created = server.created_invocations();
    assert_eq!(created.len(), 1);
    let mut ran: Vec<String> = created[0]
        .test_runs
        .iter()
        .map(|r| r.test_id.clone())
        .collect();
    ran.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(ran, want);

    // An entry not pushed yet: exit 2 naming it, nothing run.
    write_json(
        &dir.join("test_configs/new.json"),
        &json!({"type": "llm", "name": "New"}),
    );
    manifest["tests"]
        .as_array_mut()
        .unwrap()
        .push(json!({"config": "test_configs/new.json", "type": "llm"}));
    write_json(&dir.join("tests.json"), &manifest);
    let out = run(
        &server,
        &["run", "--project", "--dir", s(&dir), "--agent", &agent],
    )
    .await
    .expect(2);
    assert!(out.stderr().contains("not pushed yet"), "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("tests.json entry 4 (test_configs/new.json)"),
        "{}",
        out.stderr()
    );
    assert_eq!(server.created_invocations().len(), 1);
    // --project and --test are one or the other.
    run(
        &server,
        &["run", "--project", "--test", "x", "--agent", &agent],
    )
    .await
    .expect(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_update_takes_only_the_known_tests_and_test_takes_one() {
    let server = FakeServer::start().await.unwrap();
    let remote = server.tests();
    let dir = Scratch::new();
    run(
        &server,
        &["tests", "pull", "--dir", s(&dir), "--test", &remote[0].id],
    )
    .await
    .expect(0);
    assert_eq!(entries(&dir).len(), 1);
    run(&server, &["tests", "pull", "--dir", s(&dir), "--update"])
        .await
        .expect(0);
    assert_eq!(entries(&dir).len(), 1);
    let folder = server.folders()[0].id.clone();
    run(
        &server,
        &["tests", "pull", "--dir", s(&dir), "--folder", &folder],
    )
    .await
    .expect(0);
    let mut want: BTreeSet<String> = remote
        .iter()
        .filter(|t| t.folder_path.iter().any(|f| f.id == folder))
        .map(|t| t.id.clone())
        .collect();
    assert!(!want.is_empty() && want.len() < remote.len());
    want.insert(remote[0].id.clone());
    let have: BTreeSet<String> = entries(&dir)
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(have, want);
    let out = run(
        &server,
        &["tests", "pull", "--dir", s(&dir), "--test", "nope"],
    )
    .await
    .expect(2);
    assert!(
        out.stderr().contains("--test nope: no such test"),
        "{}",
        out.stderr()
    );
}
