//! `spec/overlay.json`: an [OpenAPI Overlay 1.0.0](https://spec.openapis.org/overlay/v1.0.0.html)
//! document, applied to the upstream document before selection, and the per-action report
//! of `refresh-spec` (applies, redundant, partly redundant, conflicting, dangling).
//!
//! Targets are RFC 9535 JSONPath queries ([`serde_json_path`]). Semantics, in the order the
//! actions are listed, each against the document the previous ones left:
//! - `remove: true` removes every selected node from the object or array holding it;
//! - `update` on a selected object is merged into it: a property only in the update is
//!   inserted; in both, a primitive replaces a primitive, an array is concatenated to an
//!   array, an object is merged recursively into an object, and any other combination is
//!   incompatible (an error);
//! - `update` on a selected array is appended to it as one entry.
//!
//! Selected nodes must be objects or arrays (not primitives, not null), and a query that
//! selects nothing changes nothing: that is the action's `dangling` verdict.
//!
//! The verdicts compare an action's *entries* with the node it meets: the update's own
//! properties (for an object; an array-valued property is concatenated, so its elements are
//! its entries), or the appended entry (for an array). An entry the node already has, equal,
//! is redundant; one it has with another value is conflicting (an array element is the same
//! entry when equal or, for an object with a `name`, when `name` and `in` match). So an action
//! targets the map that holds what it adds (`…properties`, `$.paths`, `$.components.schemas`)
//! and each entry is a whole definition: when upstream later defines the same field its own
//! way, the action is reported instead of being merged into a mixture of both.

use std::fmt;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::error::Error;

/// The one version of the Overlay Specification read here.
pub const OVERLAY_VERSION: &str = "1.0.0";

/// A parsed overlay document.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// The actions, in order.
    pub actions: Vec<Action>,
}

/// One action.
#[derive(Debug, Clone)]
pub struct Action {
    /// The JSONPath query, as written.
    pub target: String,
    path: JsonPath,
    /// What it does and its evidence.
    pub description: String,
    /// `update` or `remove`.
    pub change: Change,
}

/// What an action does to the nodes it selects.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Merge into objects, append to arrays.
    Update(Value),
    /// Remove from the containing object or array.
    Remove,
}

/// How an action relates to the document it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It changes the document, and nothing it adds is there already.
    Applies,
    /// The document already has exactly what it adds: the action can be deleted.
    Redundant,
    /// The document already has part of what it adds, exactly (these entries).
    PartlyRedundant(Vec<String>),
    /// The document has something different where the action adds (these entries).
    Conflicting(Vec<String>),
    /// The target selects nothing.
    Dangling,
}

/// One action's verdict, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    /// 1-based position in `actions`.
    pub number: usize,
    /// The action's target.
    pub target: String,
    /// Its verdict.
    pub verdict: Verdict,
}

impl ActionReport {
    /// Whether the action does not apply cleanly, so that the overlay needs a human before
    /// the spec is generated from it: every verdict but [`Verdict::Applies`].
    pub fn is_blocking(&self) -> bool {
        self.verdict != Verdict::Applies
    }
}

/// "`a`, `b`".
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ActionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!("overlay action {} (`{}`)", self.number, self.target);
        match &self.verdict {
            Verdict::Applies => write!(f, "{head}: applies"),
            Verdict::Redundant => write!(
                f,
                "{head}: redundant: the source already has exactly this; delete the action"
            ),
            Verdict::PartlyRedundant(e) => write!(
                f,
                "{head}: partly redundant: the source already has {} exactly; delete them from the action",
                quoted(e)
            ),
            Verdict::Conflicting(e) => write!(
                f,
                "{head}: conflicting: the source has something different at {}; reconcile the action with it",
                quoted(e)
            ),
            Verdict::Dangling => write!(
                f,
                "{head}: dangling: the target selects nothing in the source; fix or delete the action"
            ),
        }
    }
}

/// The result of applying an overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The document with every action applied.
    pub document: Value,
    /// One report per action, in order.
    pub reports: Vec<ActionReport>,
}

fn bad(reason: String) -> Error {
    Error::Overlay(reason)
}

/// Parses and validates the text of an overlay document.
pub fn parse_overlay(text: &str) -> Result<Overlay, Error> {
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Some(obj) = doc.as_object() else {
        return Err(bad("the top level is not an object".into()));
    };
    if let Some(k) = obj.keys().find(|k| {
        !k.starts_with("x-") && !matches!(k.as_str(), "overlay" | "info" | "extends" | "actions")
    }) {
        return Err(bad(format!("unknown key `{k}`")));
    }
    match obj.get("overlay") {
        Some(Value::String(v)) if v == OVERLAY_VERSION => {}
        Some(Value::String(v)) => {
            return Err(bad(format!(
                "`overlay` is `{v}`, this tool reads {OVERLAY_VERSION}"
            )));
        }
        _ => return Err(bad("needs `overlay: \"1.0.0\"`".into())),
    }
    let info = obj
        .get("info")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("needs an `info` object".into()))?;
    let info_field = |k: &str| {
        info.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("`info` needs a string `{k}`")))
    };
    let (title, version) = (info_field("title")?, info_field("version")?);
    let Some(list) = obj.get("actions").and_then(Value::as_array) else {
        return Err(bad("`actions` must be an array".into()));
    };
    if list.is_empty() {
        return Err(bad("`actions` is empty".into()));
    }
    let actions = list
        .iter()
        .enumerate()
        .map(|(i, a)| parse_action(i + 1, a))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Overlay {
        title,
        version,
        actions,
    })
}

fn parse_action(n: usize, action: &Value) -> Result<Action, Error> {
    let Some(a) = action.as_object() else {
        return Err(bad(format!("action {n} is not an object")));
    };
    if let Some(k) = a.keys().find(|k| {
        !k.starts_with("x-")
            && !matches!(k.as_str(), "target" | "description" | "update" | "remove")
    }) {
        return Err(bad(format!("action {n}: unknown key `{k}`")));
    }
    let target = a
        .get("target")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("action {n} needs a string `target`")))?
        .to_owned();
    let path = JsonPath::parse(&target).map_err(|e| {
        bad(format!(
            "action {n}: target `{target}` is not a JSONPath: {e}"
        ))
    })?;
    // Project rule, stricter than the specification: every action says why it exists.
    let description = match a.get("description") {
        Some(Value::String(d)) if !d.trim().is_empty() => d.clone(),
        _ => {
            return Err(bad(format!(
                "action {n} needs a `description` naming its evidence"
            )));
        }
    };
    let remove = match a.get("remove") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad(format!("action {n}: `remove` must be a boolean"))),
    };
    let change = match (a.get("update"), remove) {
        (Some(_), true) => {
            return Err(bad(format!(
                "action {n} has both `update` and `remove: true` (the update would be ignored)"
            )));
        }
        (Some(u), false) => Change::Update(u.clone()),
        (None, true) => Change::Remove,
        (None, false) => {
            return Err(bad(format!("action {n} needs `update` or `remove: true`")));
        }
    };
    Ok(Action {
        target,
        path,
        description,
        change,
    })
}

/// A step of a node's location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Name(String),
    Index(usize),
}

/// The locations `path` selects in `doc`, each once, in document order of the query.
fn locate(path: &JsonPath, doc: &Value) -> Vec<(Vec<Step>, String)> {
    let mut out: Vec<(Vec<Step>, String)> = Vec::new();
    for node in path.query_located(doc).dedup().iter() {
        let steps = node
            .location()
            .iter()
            .map(|e| match e.as_index() {
                Some(i) => Step::Index(i),
                None => Step::Name(e.as_name().unwrap_or_default().to_owned()),
            })
            .collect();
        out.push((steps, node.location().to_string()));
    }
    out
}

fn node_mut<'a>(doc: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(doc, |v, s| match (s, v) {
        (Step::Name(n), Value::Object(m)) => m.get_mut(n),
        (Step::Index(i), Value::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}

fn node<'a>(doc: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(doc, |v, s| match (s, v) {
        (Step::Name(n), Value::Object(m)) => m.get(n),
        (Step::Index(i), Value::Array(a)) => a.get(*i),
        _ => None,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Merges `update` into the object `target` (Overlay merge rules); `at` names the place for
/// errors.
pub fn merge_object(
    target: &mut Map<String, Value>,
    update: &Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    for (k, u) in update {
        let Some(t) = target.get_mut(k) else {
            target.insert(k.clone(), u.clone());
            continue;
        };
        match (t, u) {
            (Value::Object(t), Value::Object(u)) => merge_object(t, u, &format!("{at}['{k}']"))?,
            (Value::Array(t), Value::Array(u)) => t.extend(u.iter().cloned()),
            (t, u) if !t.is_object() && !t.is_array() && !u.is_object() && !u.is_array() => {
                *t = u.clone();
            }
            (t, u) => {
                return Err(format!(
                    "cannot merge {} into {} at {at}['{k}']",
                    kind(u),
                    kind(t)
                ));
            }
        }
    }
    Ok(())
}

/// How an array element is recognised in another array: a parameter-like object by its
/// `name` (and `in`), anything else by its value.
fn identity(v: &Value) -> Option<(String, String)> {
    let name = v.get("name")?.as_str()?.to_owned();
    let place = v.get("in").and_then(Value::as_str).unwrap_or("").to_owned();
    Some((name, place))
}

/// What an array entry added to `existing` is: already there, conflicting with an entry
/// of the same identity, or new.
fn entry_status(existing: &[Value], entry: &Value) -> Option<bool> {
    if existing.contains(entry) {
        return Some(true);
    }
    let id = identity(entry)?;
    existing
        .iter()
        .any(|e| identity(e).as_ref() == Some(&id))
        .then_some(false)
}

/// A readable label of an array entry.
fn entry_label(entry: &Value) -> String {
    match (identity(entry), entry) {
        (Some((name, place)), _) if !place.is_empty() => format!("{name} ({place})"),
        (Some((name, _)), _) => name,
        (None, Value::String(s)) => s.clone(),
        (None, other) => other.to_string(),
    }
}

/// What an update's entries are, compared with the node they go into.
#[derive(Debug, Default)]
struct Tally {
    /// Already there, exactly (labels).
    same: Vec<String>,
    /// There, different (labels).
    different: Vec<String>,
    /// Whether some entry is not there at all.
    new: bool,
}

impl Tally {
    fn array_entries(&mut self, existing: &[Value], entries: &[Value], prefix: &str) {
        for e in entries {
            let label = format!("{prefix}{}", entry_label(e));
            match entry_status(existing, e) {
                Some(true) => self.same.push(label),
                Some(false) => self.different.push(label),
                None => self.new = true,
            }
        }
    }

    /// Counts the entries of an update of `node` at `at`: the update's properties (for an
    /// object node; an array-valued property is concatenated, so its elements are its
    /// entries) or the appended entry (for an array node).
    fn classify(&mut self, node: &Value, update: &Value, at: &str) {
        match (node, update) {
            (Value::Array(existing), entry) => {
                self.array_entries(existing, std::slice::from_ref(entry), &format!("{at}[]: "));
            }
            (Value::Object(existing), Value::Object(props)) => {
                for (k, u) in props {
                    match (existing.get(k), u) {
                        (None, _) => self.new = true,
                        (Some(Value::Array(have)), Value::Array(add)) => {
                            self.array_entries(have, add, &format!("{at}['{k}'][]: "));
                        }
                        (Some(have), _) if have == u => self.same.push(format!("{at}['{k}']")),
                        (Some(_), _) => self.different.push(format!("{at}['{k}']")),
                    }
                }
            }
            _ => {}
        }
    }

    fn verdict(self) -> Verdict {
        if !self.different.is_empty() {
            Verdict::Conflicting(self.different)
        } else if !self.new {
            Verdict::Redundant
        } else if !self.same.is_empty() {
            Verdict::PartlyRedundant(self.same)
        } else {
            Verdict::Applies
        }
    }
}

impl Overlay {
    /// Applies every action to a copy of `doc`, in order, and says how each relates to the
    /// document it met. An update that does not fit its target is an error.
    pub fn apply(&self, doc: &Value) -> Result<Applied, Error> {
        let mut document = doc.clone();
        let mut reports = Vec::new();
        for (i, action) in self.actions.iter().enumerate() {
            let number = i + 1;
            let verdict = action.apply(&mut document, number)?;
            reports.push(ActionReport {
                number,
                target: action.target.clone(),
                verdict,
            });
        }
        Ok(Applied { document, reports })
    }
}

impl Action {
    fn apply(&self, doc: &mut Value, number: usize) -> Result<Verdict, Error> {
        let located = locate(&self.path, doc);
        if located.is_empty() {
            return Ok(Verdict::Dangling);
        }
        let fail = |m: String| bad(format!("action {number} (`{}`): {m}", self.target));
        for (steps, at) in &located {
            let n = node(doc, steps).ok_or_else(|| fail(format!("{at} vanished")))?;
            if !n.is_object() && !n.is_array() {
                return Err(fail(format!(
                    "selects {} at {at}; targets must be objects or arrays",
                    kind(n)
                )));
            }
        }
        match &self.change {
            Change::Remove => {
                // Deepest and last first, so that earlier locations stay valid.
                let mut order: Vec<&Vec<Step>> = located.iter().map(|(s, _)| s).collect();
                order.sort();
                for steps in order.into_iter().rev() {
                    let Some((last, parent)) = steps.split_last() else {
                        return Err(fail("cannot remove the whole document".into()));
                    };
                    match (node_mut(doc, parent), last) {
                        (Some(Value::Object(m)), Step::Name(k)) => {
                            m.remove(k);
                        }
                        (Some(Value::Array(a)), Step::Index(i)) if *i < a.len() => {
                            a.remove(*i);
                        }
                        _ => {}
                    }
                }
                Ok(Verdict::Applies)
            }
            Change::Update(update) => {
                let mut tally = Tally::default();
                for (steps, at) in &located {
                    let n = node(doc, steps).ok_or_else(|| fail(format!("{at} vanished")))?;
                    tally.classify(n, update, at);
                    match (node_mut(doc, steps), update) {
                        (Some(Value::Object(t)), Value::Object(u)) => {
                            merge_object(t, u, at).map_err(fail)?;
                        }
                        (Some(Value::Array(t)), entry) => t.push(entry.clone()),
                        (Some(t), u) => {
                            return Err(fail(format!(
                                "cannot merge {} into {} at {at}",
                                kind(u),
                                kind(t)
                            )));
                        }
                        (None, _) => return Err(fail(format!("{at} vanished"))),
                    }
                }
                Ok(tally.verdict())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(actions: Value) -> Overlay {
        let doc =
            json!({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": actions});
        parse_overlay(&doc.to_string()).unwrap()
    }

    fn base() -> Value {
        json!({
            "paths": {"/a": {"get": {"parameters": [
                {"name": "cursor", "in": "query", "schema": {"type": "string"}}
            ]}}},
            "components": {"schemas": {
                "S": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
                "E": {"type": "string", "enum": ["a", "b"]}
            }}
        })
    }

    fn verdicts(applied: &Applied) -> Vec<Verdict> {
        applied.reports.iter().map(|r| r.verdict.clone()).collect()
    }

    #[test]
    fn update_merges_objects_recursively_and_appends_to_arrays() {
        let o = overlay(json!([
            {"target": "$.components.schemas.S", "description": "d",
             "update": {"properties": {"n": {"type": "integer"}}, "required": ["n"], "title": "S2"}},
            {"target": "$.components.schemas.E.enum", "description": "d", "update": "c"},
            {"target": "$.paths['/a'].get.parameters", "description": "d",
             "update": {"name": "search", "in": "query"}}
        ]));
        let a = o.apply(&base()).unwrap();
        let s = &a.document["components"]["schemas"]["S"];
        assert_eq!(
            s["properties"],
            json!({"id": {"type": "string"}, "n": {"type": "integer"}})
        );
        assert_eq!(s["required"], json!(["id", "n"]));
        assert_eq!(s["title"], "S2");
        assert_eq!(
            a.document["components"]["schemas"]["E"]["enum"],
            json!(["a", "b", "c"])
        );
        assert_eq!(
            a.document["paths"]["/a"]["get"]["parameters"][1]["name"],
            "search"
        );
        // Entries are the update's own properties: this structured update changes the
        // existing `properties`, which the report calls conflicting (targeting
        // `$.components.schemas.S.properties` adds `n` as its own entry instead).
        assert_eq!(
            verdicts(&a),
            vec![
                Verdict::Conflicting(vec!["$['components']['schemas']['S']['properties']".into()]),
                Verdict::Applies,
                Verdict::Applies
            ]
        );
    }

    #[test]
    fn incompatible_merges_are_errors() {
        let o = overlay(json!([
            {"target": "$.components.schemas.S", "description": "d", "update": {"required": "n"}}
        ]));
        let e = o.apply(&base()).unwrap_err().to_string();
        assert!(
            e.contains("action 1") && e.contains("cannot merge a string into an array"),
            "{e}"
        );
        let o = overlay(json!([
            {"target": "$.components.schemas.E.type", "description": "d", "update": {"x": 1}}
        ]));
        let e = o.apply(&base()).unwrap_err().to_string();
        assert!(e.contains("selects a string"), "{e}");
        let o = overlay(json!([
            {"target": "$.components.schemas.S", "description": "d", "update": [1]}
        ]));
        assert!(o.apply(&base()).is_err());
    }

    #[test]
    fn remove_deletes_every_selected_node() {
        let o = overlay(json!([
            {"target": "$.paths['/a'].get.parameters[?@.name == 'cursor']", "description": "d", "remove": true},
            {"target": "$.components.schemas[?@.type == 'string']", "description": "d", "remove": true}
        ]));
        let a = o.apply(&base()).unwrap();
        assert_eq!(a.document["paths"]["/a"]["get"]["parameters"], json!([]));
        assert!(a.document["components"]["schemas"].get("E").is_none());
        assert!(a.document["components"]["schemas"].get("S").is_some());
        assert_eq!(verdicts(&a), vec![Verdict::Applies; 2]);
    }

    #[test]
    fn redundant_when_the_document_already_has_exactly_this() {
        let o = overlay(json!([
            {"target": "$.components.schemas.S.properties", "description": "d",
             "update": {"id": {"type": "string"}}},
            {"target": "$.components.schemas.E", "description": "d", "update": {"enum": ["b"]}},
            {"target": "$.paths['/a'].get.parameters", "description": "d",
             "update": {"name": "cursor", "in": "query", "schema": {"type": "string"}}}
        ]));
        let a = o.apply(&base()).unwrap();
        assert_eq!(verdicts(&a), vec![Verdict::Redundant; 3]);
        assert_eq!(
            a.reports[0].to_string(),
            "overlay action 1 (`$.components.schemas.S.properties`): redundant: the source already has exactly this; delete the action"
        );
    }

    #[test]
    fn partly_redundant_names_the_entries() {
        let o = overlay(json!([
            {"target": "$.components.schemas.E", "description": "d", "update": {"enum": ["b", "c"]}},
            {"target": "$.components.schemas.S.properties", "description": "d",
             "update": {"id": {"type": "string"}, "n": {"type": "integer"}}}
        ]));
        let a = o.apply(&base()).unwrap();
        assert_eq!(
            verdicts(&a),
            vec![
                Verdict::PartlyRedundant(vec![
                    "$['components']['schemas']['E']['enum'][]: b".into()
                ]),
                Verdict::PartlyRedundant(vec![
                    "$['components']['schemas']['S']['properties']['id']".into()
                ]),
            ]
        );
    }

    #[test]
    fn conflicting_when_the_document_has_something_else_there() {
        let o = overlay(json!([
            {"target": "$.components.schemas.S.properties", "description": "d",
             "update": {"id": {"type": "integer"}, "n": {"type": "integer"}}},
            {"target": "$.paths['/a'].get.parameters", "description": "d",
             "update": {"name": "cursor", "in": "query", "schema": {"type": "integer"}}}
        ]));
        let a = o.apply(&base()).unwrap();
        assert_eq!(
            verdicts(&a),
            vec![
                Verdict::Conflicting(vec![
                    "$['components']['schemas']['S']['properties']['id']".into()
                ]),
                Verdict::Conflicting(vec![
                    "$['paths']['/a']['get']['parameters'][]: cursor (query)".into()
                ]),
            ]
        );
        assert!(a.reports.iter().all(ActionReport::is_blocking));
        assert_eq!(
            a.reports[1].to_string(),
            "overlay action 2 (`$.paths['/a'].get.parameters`): conflicting: the source has something different at `$['paths']['/a']['get']['parameters'][]: cursor (query)`; reconcile the action with it"
        );
    }

    #[test]
    fn dangling_when_the_target_selects_nothing() {
        let o = overlay(json!([
            {"target": "$.components.schemas.Gone.properties", "description": "d", "update": {"x": {}}},
            {"target": "$.paths['/b']", "description": "d", "remove": true}
        ]));
        let a = o.apply(&base()).unwrap();
        assert_eq!(a.document, base(), "nothing changed");
        assert_eq!(verdicts(&a), vec![Verdict::Dangling; 2]);
        assert_eq!(
            a.reports[1].to_string(),
            "overlay action 2 (`$.paths['/b']`): dangling: the target selects nothing in the source; fix or delete the action"
        );
    }

    #[test]
    fn actions_see_what_earlier_ones_did() {
        let o = overlay(json!([
            {"target": "$.components.schemas", "description": "d", "update": {"N": {"type": "object"}}},
            {"target": "$.components.schemas.N", "description": "d", "update": {"title": "N"}}
        ]));
        let a = o.apply(&base()).unwrap();
        assert_eq!(
            a.document["components"]["schemas"]["N"],
            json!({"type": "object", "title": "N"})
        );
        assert_eq!(verdicts(&a), vec![Verdict::Applies; 2]);
    }

    #[test]
    fn errors_number_the_action_and_blank_descriptions_are_refused() {
        let text = json!({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [
            {"target": "$.a", "description": "d", "remove": true},
            {"target": "$.a", "description": "  ", "remove": true}
        ]})
        .to_string();
        let e = parse_overlay(&text).unwrap_err().to_string();
        assert!(
            e.contains("action 2 needs a `description` naming its evidence"),
            "{e}"
        );
    }

    #[test]
    fn targets_inside_arrays_are_updated_and_reported_by_name() {
        let o = overlay(json!([
            {"target": "$.paths['/a'].get.parameters[0]", "description": "d",
             "update": {"description": "the page cursor"}},
            {"target": "$.components.schemas.S", "description": "d",
             "update": {"x-list": [{"name": "n"}]}},
            {"target": "$.components.schemas.S['x-list']", "description": "d",
             "update": {"name": "n", "value": 1}}
        ]));
        let a = o.apply(&base()).unwrap();
        assert_eq!(
            a.document["paths"]["/a"]["get"]["parameters"][0]["description"],
            "the page cursor"
        );
        // An entry with a `name` and no `in` is labelled by its name alone.
        assert_eq!(
            a.reports[2].verdict,
            Verdict::Conflicting(vec![
                "$['components']['schemas']['S']['x-list'][]: n".into()
            ])
        );
        assert!(!a.reports[0].is_blocking());
    }

    #[test]
    fn bad_overlays_are_rejected_with_one_line() {
        for (text, needle) in [
            ("nope", "not JSON"),
            ("[]", "not an object"),
            (
                r#"{"overlay": "1.1.0", "info": {"title": "t", "version": "1"}, "actions": []}"#,
                "this tool reads 1.0.0",
            ),
            (
                r#"{"info": {"title": "t", "version": "1"}, "actions": []}"#,
                "needs `overlay",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t"}, "actions": []}"#,
                "string `version`",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": []}"#,
                "`actions` is empty",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": {}}"#,
                "must be an array",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "action": []}"#,
                "unknown key `action`",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"description": "d", "remove": true}]}"#,
                "string `target`",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.a[", "description": "d", "remove": true}]}"#,
                "is not a JSONPath",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.a", "remove": true}]}"#,
                "naming its evidence",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.a", "description": "d"}]}"#,
                "needs `update` or `remove: true`",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.a", "description": "d", "update": {}, "remove": true}]}"#,
                "both",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.a", "description": "d", "remove": "yes"}]}"#,
                "must be a boolean",
            ),
            (
                r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.a", "description": "d", "remove": true, "copy": "$.b"}]}"#,
                "unknown key `copy`",
            ),
        ] {
            let e = parse_overlay(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let ok = r#"{"overlay": "1.0.0", "info": {"title": "t", "version": "1", "x-k": 1}, "x-n": 2,
                    "actions": [{"target": "$.a", "description": "d", "remove": true, "x-why": "."}]}"#;
        assert_eq!(parse_overlay(ok).unwrap().actions.len(), 1);
    }
}
