//! `build.rs`'s code generation, run on variations of the committed spec: what a refresh
//! that adds a query parameter generates, and how bad input is refused (an error naming
//! what is wrong, never a panic).

#[allow(dead_code)]
#[path = "../../build.rs"]
mod build_script;

use serde_json::{Value, json};

fn committed() -> Value {
    serde_json::from_str(include_str!("../../spec/openapi.json")).unwrap()
}

fn generate(doc: &Value) -> Result<String, String> {
    build_script::generate(&doc.to_string())
}

/// The body of `fn fetch` in the impl of `CursorOperation` for `query`, as tokens.
fn fetch_of(code: &str, query: &str) -> String {
    let file = syn::parse_file(code).expect("generated code parses");
    let module = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "paginate" => m.content.as_ref().map(|c| &c.1),
            _ => None,
        })
        .expect("a paginate module");
    let imp = module
        .iter()
        .find_map(|i| match i {
            syn::Item::Impl(imp)
                if quote::quote!(#imp)
                    .to_string()
                    .contains("CursorOperation for")
                    && matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident(query)) =>
            {
                Some(imp)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no CursorOperation impl for {query}"));
    quote::quote!(#imp).to_string()
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
    let code = generate(&committed()).expect("generates");
    for query in ["ListTestsQuery", "ListTestInvocationsQuery"] {
        let fetch = fetch_of(&code, query);
        assert!(fetch.contains(". cursor (cursor)"), "{fetch}");
    }
}

#[test]
fn a_new_query_parameter_is_sent_on_every_page_without_touching_the_crate() {
    let mut doc = committed();
    add_query_param(&mut doc, "/v1/convai/test-invocations", "color");
    add_query_param(&mut doc, "/v1/convai/agent-testing", "created_by_user_id");
    let code = generate(&doc).expect("generates");

    let fetch = fetch_of(&code, "ListTestInvocationsQuery");
    // Every page's request sets it, like the parameters already there.
    assert!(
        fetch.contains("request = request . color (v . clone ())"),
        "{fetch}"
    );
    assert!(
        fetch.contains("request = request . agent_id (v . clone ())"),
        "{fetch}"
    );
    let fetch = fetch_of(&code, "ListTestsQuery");
    assert!(
        fetch.contains("request = request . created_by_user_id (v . clone ())"),
        "{fetch}"
    );
    // And the builder's value is read into the listing.
    assert!(
        code.contains("let color = self.color.map_err"),
        "the builder's value is read"
    );

    // Without the parameter, nothing of the kind.
    let plain = generate(&committed()).unwrap();
    assert!(!fetch_of(&plain, "ListTestInvocationsQuery").contains("color"));
}

#[test]
fn every_query_parameter_of_a_listing_is_passed_on() {
    // From the spec itself: each query parameter of each cursor-paginated operation but the
    // cursor appears in its fetch.
    let doc = committed();
    let code = generate(&doc).unwrap();
    for (path, query) in [
        ("/v1/convai/agent-testing", "ListTestsQuery"),
        ("/v1/convai/test-invocations", "ListTestInvocationsQuery"),
    ] {
        let fetch = fetch_of(&code, query);
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
    let code = generate(&committed()).unwrap();
    assert!(code.contains("open_enum!"));
    assert!(
        !code.to_lowercase().contains("open enum"),
        "build.rs documents enums as open too"
    );
}
