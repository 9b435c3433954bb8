//! The facts of the spec that the embedded fake and the `elevenlabs-tests` program read:
//! operations (method, path, path parameters), the bounds, defaults and enum values of
//! parameters and body fields, and the tags of the discriminated unions.
//!
//! `build.rs` extracts them from `spec/openapi.json` (its `spec_tables`) into JSON that
//! [`Tables::current`] decodes once; nothing here is written by hand, so a refresh of the
//! spec that moves a bound, a default, an enum value or a route moves the fake and the
//! program with it. The tables are data rather than constants so that a test can feed the
//! tables of a *varied* spec (made by the same `spec_tables`) to the fake
//! (`FakeServerBuilder::spec_tables`, feature `fake`) and to the program's argument parser,
//! and see them obey it.
//!
//! Not a stable API: its shape follows what the fake and the program need.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The spec's facts, as `build.rs` extracted them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tables {
    /// Every operation, in path order.
    pub operations: Vec<Operation>,
    /// Every parameter with a bound, a default, enum values or `nullable`.
    pub parameters: Vec<Parameter>,
    /// Every property of a component object schema with a fact ([`Facts`]).
    pub fields: Vec<Field>,
    /// Every discriminated union (`oneOf` + `discriminator.mapping`).
    pub unions: Vec<Union>,
}

/// One operation of the spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// The `operationId` (`run_tests`).
    pub id: String,
    /// `GET`, `POST`, ... (upper case).
    pub method: String,
    /// The path template (`/v1/convai/agents/{agent_id}/run-tests`).
    pub path: String,
    /// The names of its path parameters, in the spec's order.
    pub path_parameters: Vec<String>,
    /// The component schema of its JSON body, if it has one.
    pub body: Option<String>,
}

/// The bounds, default, enum values and nullability of a parameter or a field: what the spec
/// says, each `None` (or `false`) when it says nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// `minimum` (a whole number; `1.0` is `1`).
    pub minimum: Option<i64>,
    /// `maximum`.
    pub maximum: Option<i64>,
    /// `minItems` of an array.
    pub min_items: Option<u64>,
    /// `maxItems` of an array.
    pub max_items: Option<u64>,
    /// `default`.
    pub default: Option<Value>,
    /// The enum values (of the schema itself, the one it refers to, or its items).
    pub values: Option<Vec<Value>>,
    /// `nullable: true`.
    #[serde(default)]
    pub nullable: bool,
}

/// A parameter of an operation and its [`Facts`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// The operation's id.
    pub operation_id: String,
    /// The parameter's name.
    pub name: String,
    /// `query` or `path`.
    pub location: String,
    /// What the spec says of it.
    #[serde(flatten)]
    pub facts: Facts,
}

/// A top-level property of a component object schema and its [`Facts`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The component schema (`RunAgentTestsRequestModel`).
    pub schema: String,
    /// The property (`repeat_count`).
    pub field: String,
    /// What the spec says of it.
    #[serde(flatten)]
    pub facts: Facts,
}

/// A discriminated union.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Union {
    /// The component schema (`CreateTestBody`).
    pub schema: String,
    /// The tag property (`type`).
    pub tag: String,
    /// Tag value → variant schema, in tag order.
    pub variants: Vec<Variant>,
}

/// One kind of a [`Union`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// The tag value (`llm`).
    pub tag: String,
    /// The variant's component schema.
    pub schema: String,
}

static CURRENT: LazyLock<Tables> = LazyLock::new(|| {
    // Written by build.rs from the committed spec in this very build: it always decodes.
    Tables::from_json(include_str!(concat!(env!("OUT_DIR"), "/spec_tables.json")))
        .expect("build.rs wrote spec_tables.json in the shape of spec::Tables")
});

impl Tables {
    /// The tables of the committed spec (`spec/openapi.json`), decoded on first use.
    pub fn current() -> &'static Tables {
        &CURRENT
    }

    /// Tables from the JSON `build.rs`'s `spec_tables` writes.
    pub fn from_json(text: &str) -> Result<Tables, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The operation `id`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// What the spec says of parameter `name` of operation `operation_id` (all `None` when
    /// nothing).
    pub fn parameter(&self, operation_id: &str, name: &str) -> Facts {
        self.parameter_entry(operation_id, name)
            .map(|p| p.facts.clone())
            .unwrap_or_default()
    }

    /// The entry of parameter `name` of operation `operation_id`, when the spec says anything
    /// of it.
    pub fn parameter_entry(&self, operation_id: &str, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.operation_id == operation_id && p.name == name)
    }

    /// What the spec says of property `field` of schema `schema` (all `None` when nothing).
    pub fn field(&self, schema: &str, field: &str) -> Facts {
        self.fields
            .iter()
            .find(|f| f.schema == schema && f.field == field)
            .map(|f| f.facts.clone())
            .unwrap_or_default()
    }

    /// The properties of `schema` that have facts.
    pub fn fields_of<'a>(&'a self, schema: &str) -> impl Iterator<Item = &'a Field> + use<'a> {
        let schema = schema.to_owned();
        self.fields.iter().filter(move |f| f.schema == schema)
    }

    /// The bounds the spec puts on the top-level fields of `schema`: `minimum`/`maximum` of
    /// an integer, `minItems`/`maxItems` of an array (a field may have both kinds).
    pub fn bounds<'a>(&'a self, schema: &str) -> Vec<(&'a str, Bound)> {
        let mut rules = Vec::new();
        for field in self.fields_of(schema) {
            if let Some((min, max)) = field.facts.int_range() {
                rules.push((field.field.as_str(), Bound::Int { min, max }));
            }
            if let Some((min, max)) = field.facts.items_range() {
                rules.push((field.field.as_str(), Bound::Items { min, max }));
            }
        }
        rules
    }

    /// The discriminated union `schema`.
    pub fn union(&self, schema: &str) -> Option<&Union> {
        self.unions.iter().find(|u| u.schema == schema)
    }

    /// The integer default of parameter `name` of `operation_id` (`page_size`: 30).
    pub fn int_default(&self, operation_id: &str, name: &str) -> Option<i64> {
        self.parameter(operation_id, name)
            .default
            .and_then(|d| d.as_i64())
    }

    /// The string default of parameter `name` of `operation_id` (`sort_mode`: `default`).
    pub fn str_default(&self, operation_id: &str, name: &str) -> Option<String> {
        self.parameter(operation_id, name)
            .default
            .and_then(|d| d.as_str().map(str::to_owned))
    }
}

/// A bound the spec puts on a top-level field of an object schema (see [`Tables::bounds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// An integer in `min..=max` (`minimum`/`maximum`; the missing side is unbounded).
    Int {
        /// The least value allowed.
        min: i64,
        /// The greatest value allowed.
        max: i64,
    },
    /// An array of `min..=max` items (`minItems`/`maxItems`).
    Items {
        /// The fewest items allowed.
        min: usize,
        /// The most items allowed.
        max: usize,
    },
}

/// Which side of its [`Bound`] a value is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breach {
    /// Under the bound's `min`.
    Below,
    /// Over the bound's `max`.
    Above,
}

impl Bound {
    /// Which side of the bound `value` breaks, if it does. A value of another JSON type than
    /// the bound's (a string for an integer) is not this check's: the types check that.
    pub fn breach(&self, value: &Value) -> Option<Breach> {
        let n = match self {
            // An integer beyond i64 (serde reads it as u64) is above any bound.
            Bound::Int { .. } => value
                .as_i64()
                .map(i128::from)
                .or_else(|| value.as_u64().map(i128::from))?,
            Bound::Items { .. } => value.as_array()?.len() as i128,
        };
        self.side_of(n)
    }

    /// Which side of the bound the number `n` is on (the integer, or the item count), if it
    /// is outside: the one comparison with a spec's range in the crate (body fields, query
    /// parameters, the fake's 422s).
    pub fn side_of(&self, n: i128) -> Option<Breach> {
        let (min, max) = match *self {
            Bound::Int { min, max } => (i128::from(min), i128::from(max)),
            Bound::Items { min, max } => (min as i128, max as i128),
        };
        if n < min {
            Some(Breach::Below)
        } else if n > max {
            Some(Breach::Above)
        } else {
            None
        }
    }
}

impl Facts {
    /// `minimum..=maximum` when the spec bounds the value on either side (the other side
    /// then unbounded: `i64::MIN` or `i64::MAX`).
    pub fn int_range(&self) -> Option<(i64, i64)> {
        (self.minimum.is_some() || self.maximum.is_some()).then(|| {
            (
                self.minimum.unwrap_or(i64::MIN),
                self.maximum.unwrap_or(i64::MAX),
            )
        })
    }

    /// `minItems..=maxItems` when the spec bounds the array's length on either side.
    pub fn items_range(&self) -> Option<(usize, usize)> {
        let count = |n: Option<u64>, none: usize| {
            n.map_or(none, |n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        (self.min_items.is_some() || self.max_items.is_some())
            .then(|| (count(self.min_items, 0), count(self.max_items, usize::MAX)))
    }

    /// The enum values that are strings.
    pub fn string_values(&self) -> Vec<&str> {
        self.values
            .iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }
}
