//! `build.rs`'s code generation, run on variations of the committed spec: what a refresh
//! that adds a query parameter generates, and how bad input is refused (an error naming
//! what is wrong, never a panic).

#[allow(dead_code)]
#[path = "../../build.rs"]
mod build_script;

use std::collections::BTreeMap;

use serde_json::{Value, json};

fn committed() -> Value {
    serde_json::from_str(include_str!("../../spec/openapi.json")).unwrap()
}

fn generate(doc: &Value) -> Result<String, String> {
    build_script::generate(&doc.to_string())
}

/// The code generated from the committed spec, generated once for the tests that read it.
fn generated_from_committed() -> &'static str {
    static CODE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CODE.get_or_init(|| generate(&committed()).expect("the committed spec generates"))
}

/// Each impl of `CursorOperation` (its `fn fetch` builds every page's request), as tokens,
/// by the listing's query type (`ListTestsQuery`). The code is parsed once: a parse of the
/// whole client takes longer than generating it.
fn fetches(code: &str) -> BTreeMap<String, String> {
    let file = syn::parse_file(code).expect("generated code parses");
    let module = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "paginate" => m.content.as_ref().map(|c| &c.1),
            _ => None,
        })
        .expect("a paginate module");
    let is_cursor_operation = |imp: &syn::ItemImpl| {
        imp.trait_.as_ref().is_some_and(|(path, _)| {
            path.segments
                .last()
                .is_some_and(|s| s.ident == "CursorOperation")
        })
    };
    module
        .iter()
        .filter_map(|i| match i {
            syn::Item::Impl(imp) if is_cursor_operation(imp) => match &*imp.self_ty {
                syn::Type::Path(p) => Some((
                    quote::quote!(#p).to_string(),
                    quote::quote!(#imp).to_string(),
                )),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// [`fetches`] of the code generated from the committed spec.
fn committed_fetches() -> &'static BTreeMap<String, String> {
    static FETCHES: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();
    FETCHES.get_or_init(|| fetches(generated_from_committed()))
}

/// The fetch of `query` among `fetches`.
fn fetch_of<'a>(fetches: &'a BTreeMap<String, String>, query: &str) -> &'a str {
    fetches
        .get(query)
        .unwrap_or_else(|| panic!("no CursorOperation impl for {query}"))
}

fn add_query_param(doc: &mut Value, path: &str, name: &str) {
    doc["paths"][path]["get"]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": name, "in": "query", "required": false,
                     "schema": {"type": "string", "nullable": true}}));
}

#[test]
fn the_committed_spec_generates() {
    for query in ["ListTestsQuery", "ListTestInvocationsQuery"] {
        let fetch = fetch_of(committed_fetches(), query);
        assert!(fetch.contains(". cursor (cursor)"), "{fetch}");
    }
}

#[test]
fn a_new_query_parameter_is_sent_on_every_page_without_touching_the_crate() {
    let mut doc = committed();
    add_query_param(&mut doc, "/v1/convai/test-invocations", "color");
    add_query_param(&mut doc, "/v1/convai/agent-testing", "created_by_user_id");
    let code = generate(&doc).expect("generates");
    let varied = fetches(&code);

    let fetch = fetch_of(&varied, "ListTestInvocationsQuery");
    // Every page's request sets it, like the parameters already there.
    assert!(
        fetch.contains("request = request . color (v . clone ())"),
        "{fetch}"
    );
    assert!(
        fetch.contains("request = request . agent_id (v . clone ())"),
        "{fetch}"
    );
    let fetch = fetch_of(&varied, "ListTestsQuery");
    assert!(
        fetch.contains("request = request . created_by_user_id (v . clone ())"),
        "{fetch}"
    );
    // And the builder's value is read into the listing.
    assert!(
        code.contains("let color = self\n                .color\n                .map_err"),
        "the builder's value is read"
    );

    // Without the parameter, nothing of the kind.
    assert!(!fetch_of(committed_fetches(), "ListTestInvocationsQuery").contains("color"));
}

#[test]
fn every_query_parameter_of_a_listing_is_passed_on() {
    // From the spec itself: each query parameter of each cursor-paginated operation but the
    // cursor appears in its fetch.
    let doc = committed();
    for (path, query) in [
        ("/v1/convai/agent-testing", "ListTestsQuery"),
        ("/v1/convai/test-invocations", "ListTestInvocationsQuery"),
    ] {
        let fetch = fetch_of(committed_fetches(), query);
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let names: Vec<&str> = params
            .iter()
            .filter(|p| p["in"] == "query" && p["name"] != "cursor")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(!names.is_empty());
        for name in names {
            assert!(
                fetch.contains(&format!("request . {name} (")),
                "{query} does not pass {name}: {fetch}"
            );
        }
    }
}

#[test]
fn a_schema_name_that_is_no_rust_identifier_is_an_error_naming_it() {
    let mut doc = committed();
    doc["components"]["schemas"]["9-Lives"] = json!({"type": "object"});
    let err = generate(&doc).unwrap_err();
    assert!(err.contains("`9-Lives`"), "{err}");
}

#[test]
fn two_schemas_with_one_rust_name_are_an_error_naming_both() {
    let mut doc = committed();
    doc["components"]["schemas"]["Test-Type"] = json!({"type": "object"});
    let err = generate(&doc).unwrap_err();
    assert!(
        err.contains("`TestType`") && err.contains("`Test-Type`"),
        "{err}"
    );
}

#[test]
fn a_3_1_document_is_refused_with_a_message() {
    let mut doc = committed();
    doc["openapi"] = json!("3.1.0");
    let err = generate(&doc).unwrap_err();
    assert!(!err.is_empty());
}

#[test]
fn not_json_is_refused_with_a_message() {
    let err = build_script::generate("{nope").unwrap_err();
    assert!(err.contains("not valid JSON"), "{err}");
}

#[test]
fn a_listing_page_with_two_arrays_is_an_error() {
    let mut doc = committed();
    doc["components"]["schemas"]["GetTestsPageResponseModel"]["properties"]["extra"] =
        json!({"type": "array", "items": {"type": "string"}});
    let err = generate(&doc).unwrap_err();
    assert!(
        err.contains("list_tests") && err.contains("2 array properties"),
        "{err}"
    );
}

#[test]
fn an_open_enum_is_documented_as_one_once() {
    // build.rs gives each enum the spec's description (or its name); the "open enum"
    // sentence comes from the `open_enum!` macro alone.
    let code = generated_from_committed();
    assert!(code.contains("open_enum!"));
    assert!(
        !code.to_lowercase().contains("open enum"),
        "build.rs documents enums as open too"
    );
}

// ----------------------------------------------------------------------------------------
// The facts of the spec the fake and the CLI read (`spec_tables`)
// ----------------------------------------------------------------------------------------

/// The program's command line (`args::command` is what `main` parses with).
#[cfg(feature = "cli")]
#[allow(dead_code, unreachable_pub)]
#[path = "../../src/bin/elevenlabs-tests/args.rs"]
mod args;

use elevenlabs_agent_tests::spec::Tables;

/// The tables `build.rs` writes for `doc`, decoded as the crate decodes its own.
fn tables_of(doc: &Value) -> &'static Tables {
    let json = build_script::spec_tables(&doc.to_string()).expect("tables");
    Box::leak(Box::new(Tables::from_json(&json).expect("decodes")))
}

/// The committed spec with `repeat_count`'s maximum at 20 and a new sort mode.
fn varied() -> Value {
    let mut doc = committed();
    doc["components"]["schemas"]["RunAgentTestsRequestModel"]["properties"]["repeat_count"]["maximum"] =
        json!(20);
    doc["components"]["schemas"]["ListTestsSortMode"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!("recently_run"));
    doc
}

#[test]
fn the_tables_of_the_committed_spec_are_the_crate_s() {
    assert_eq!(tables_of(&committed()), Tables::current());
}

#[test]
fn the_tables_follow_the_spec_and_compare_bounds_by_value() {
    let t = tables_of(&varied());
    let repeat = t.field("RunAgentTestsRequestModel", "repeat_count");
    assert_eq!((repeat.minimum, repeat.maximum), (Some(1), Some(20)));
    assert!(
        t.parameter("list_tests", "sort_mode")
            .string_values()
            .contains(&"recently_run")
    );
    // `50.0` in the spec is the integer 50; a bound that is no whole number is left out.
    let mut doc = committed();
    let turns = &mut doc["components"]["schemas"]["CreateSimulationTestRequest"]["properties"]["simulation_max_turns"];
    turns["maximum"] = json!(50.0);
    turns["minimum"] = json!(0.5);
    let turns = tables_of(&doc).field("CreateSimulationTestRequest", "simulation_max_turns");
    assert_eq!((turns.minimum, turns.maximum), (None, Some(50)));
    // A new operation is in the operations table, with its path parameters.
    let mut doc = committed();
    doc["paths"]["/v1/convai/test-invocations/{test_invocation_id}/runs/{run_id}"] = json!({
        "get": {"operationId": "get_test_run", "parameters": [
            {"name": "test_invocation_id", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "run_id", "in": "path", "required": true, "schema": {"type": "string"}}
        ], "responses": {}}
    });
    let op = tables_of(&doc).operation("get_test_run").cloned().unwrap();
    assert_eq!(op.method, "GET");
    assert_eq!(op.path_parameters, ["test_invocation_id", "run_id"]);
    assert_eq!(op.body, None);
    assert!(
        build_script::spec_tables("{nope")
            .unwrap_err()
            .contains("not valid JSON")
    );
}

/// The proof that nothing of the spec is restated by hand: a spec where `repeat_count`'s
/// maximum is 20 and `sort_mode` has a new value, fed to the fake and to the program's
/// command line with no other change, moves both.
#[tokio::test]
async fn a_varied_spec_moves_the_fake_and_the_command_line() {
    use elevenlabs_agent_tests::fake::FakeServer;
    use elevenlabs_agent_tests::types::{ListTestsSortMode, SingleTestRunRequestModel};
    use std::num::NonZeroU64;
    use std::time::Duration;

    let varied = tables_of(&varied());
    for (tables, max) in [(Tables::current(), 50u64), (varied, 20)] {
        let server = FakeServer::builder()
            .spec_tables(tables)
            .start()
            .await
            .unwrap();
        let client = server.client();
        let agent = server.demo_agent_id().unwrap().to_owned();
        let test = server.attached_tests(&agent)[0].clone();
        let run = |repeat: u64| {
            let (client, agent, test) = (client.clone(), agent.clone(), test.clone());
            async move {
                let tests: Vec<SingleTestRunRequestModel> = vec![
                    SingleTestRunRequestModel::builder()
                        .test_id(test)
                        .try_into()
                        .unwrap(),
                ];
                client
                    .run_tests()
                    .agent_id(agent)
                    .body_map(|b| {
                        b.tests(tests)
                            .repeat_count(NonZeroU64::new(repeat).unwrap())
                    })
                    .send()
                    .await
            }
        };
        let at_max = tokio::time::timeout(Duration::from_secs(30), run(max))
            .await
            .unwrap();
        assert_eq!(at_max.unwrap().repeat_count, max as i64);
        let over = tokio::time::timeout(Duration::from_secs(30), run(max + 1))
            .await
            .unwrap()
            .unwrap_err();
        match over {
            elevenlabs_agent_tests::Error::Validation { body } => {
                let text = serde_json::to_string(&body).unwrap();
                assert!(
                    text.contains("repeat_count")
                        && text.contains(&format!("less than or equal to {max}")),
                    "{text}"
                );
            }
            other => panic!("expected a 422 at {}, got {other}", max + 1),
        }

        // The new sort mode: accepted by the fake fed the varied spec, a 422 otherwise.
        let listed = tokio::time::timeout(
            Duration::from_secs(30),
            client
                .list_tests()
                .sort_mode(ListTestsSortMode::from("recently_run"))
                .send(),
        )
        .await
        .unwrap();
        assert_eq!(listed.is_ok(), max == 20, "{listed:?}");

        // The command line refuses --repeat above the spec's maximum, and says which.
        #[cfg(feature = "cli")]
        {
            let parse = |n: u64| {
                args::command(tables).try_get_matches_from([
                    "elevenlabs-tests".to_owned(),
                    "run".to_owned(),
                    "--repeat".to_owned(),
                    n.to_string(),
                ])
            };
            assert!(parse(max).is_ok());
            let err = parse(max + 1).unwrap_err().to_string();
            assert!(err.contains(&format!("1..={max}")), "{err}");
        }
    }
}
