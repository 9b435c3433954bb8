//! `schemars::JsonSchema` for the types `build.rs` makes itself (open enums and tagged
//! unions); typify's own types derive it. The schemas say what the spec says: an open enum
//! lists the spec's values (the Rust type also keeps unknown ones), a union is the `oneOf` of
//! its kinds.

use schemars::schema::{InstanceType, Schema, SchemaObject, SubschemaValidation};

/// A string schema with `values` as its `enum`.
#[doc(hidden)]
pub fn string_enum(values: &[&str]) -> Schema {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        enum_values: Some(values.iter().map(|v| (*v).into()).collect()),
        ..Default::default()
    }
    .into()
}

/// `oneOf` of `variants`.
#[doc(hidden)]
pub fn one_of(variants: Vec<Schema>) -> Schema {
    SchemaObject {
        subschemas: Some(Box::new(SubschemaValidation {
            one_of: Some(variants),
            ..Default::default()
        })),
        ..Default::default()
    }
    .into()
}

/// `impl JsonSchema for $name` as a string enum of `[values]`.
macro_rules! string_enum_schema {
    ($name:ident, [$($value:literal),* $(,)?]) => {
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::string::String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                $crate::json_schema::string_enum(&[$($value),*])
            }
        }
    };
}
pub(crate) use string_enum_schema;
