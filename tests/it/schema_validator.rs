//! JSON Schema (Draft 2020-12) validation for the tests, on `boon`: a validator that passes
//! the JSON-Schema-Test-Suite and builds, with the dependencies only it brings, in about a
//! tenth of the CPU time of the one it replaced (`jsonschema`: ~28 CPU-s, and the longest
//! chain of the test build).
//! Formats are annotations, not assertions, as the draft says by default.

use std::collections::BTreeMap;
use std::sync::Arc;

use boon::{Compiler, Draft, SchemaIndex, Schemas, ValidationError};
use serde_json::Value;

/// Where a document is kept while its schemas compile (a name, never read from disk).
const DOCUMENT: &str = "mem:///document.json";

/// One compiled schema, ready to validate instances.
pub struct Validator {
    schemas: Arc<Schemas>,
    index: SchemaIndex,
}

impl Validator {
    /// Compiles `document`, a whole schema whose `$ref`s point inside it. Panics, with what
    /// is wrong where, when it is not a valid 2020-12 schema.
    pub fn new(document: Value) -> Validator {
        let mut compiled = compile(document, [String::new()]);
        compiled.pop().expect("the root was compiled")
    }

    /// One validator per schema of `document`'s `components.schemas`, by name, compiled
    /// together so that the schemas they share are compiled once.
    pub fn for_each_component(document: Value) -> BTreeMap<String, Validator> {
        let names: Vec<String> = document["components"]["schemas"]
            .as_object()
            .expect("components.schemas is an object")
            .keys()
            .cloned()
            .collect();
        let pointers = names
            .iter()
            .map(|name| format!("/components/schemas/{}", pointer_token(name)));
        let validators = compile(document, pointers);
        names.into_iter().zip(validators).collect()
    }

    /// Every violation of the schema by `instance`, as `instance path: what is wrong`
    /// (empty when it is valid).
    pub fn errors(&self, instance: &Value) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(error) = self.schemas.validate(instance, self.index) {
            leaves(&error, &mut out);
        }
        out
    }

    /// Whether `instance` is valid under the schema.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.schemas.validate(instance, self.index).is_ok()
    }
}

/// Compiles the schemas at `pointers` (JSON pointers into `document`), in their order.
fn compile(document: Value, pointers: impl IntoIterator<Item = String>) -> Vec<Validator> {
    let mut compiler = Compiler::new();
    compiler.set_default_draft(Draft::V2020_12);
    compiler
        .add_resource(DOCUMENT, document)
        .expect("the document's name is a URL");
    let mut schemas = Schemas::new();
    let indices: Vec<SchemaIndex> = pointers
        .into_iter()
        .map(|pointer| {
            compiler
                .compile(&format!("{DOCUMENT}#{pointer}"), &mut schemas)
                .unwrap_or_else(|e| panic!("#{pointer} is not a valid 2020-12 schema: {e:#}"))
        })
        .collect();
    let schemas = Arc::new(schemas);
    indices
        .into_iter()
        .map(|index| Validator {
            schemas: Arc::clone(&schemas),
            index,
        })
        .collect()
}

/// A name as one token of a JSON pointer in a URL fragment.
fn pointer_token(name: &str) -> String {
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)),
        "component name {name:?} would need escaping in a URL fragment"
    );
    name.to_owned()
}

/// The innermost errors of a validation failure: the ones that say what is wrong.
fn leaves(error: &ValidationError, out: &mut Vec<String>) {
    if error.causes.is_empty() {
        out.push(format!("{}: {}", error.instance_location, error.kind));
    }
    for cause in &error.causes {
        leaves(cause, out);
    }
}
