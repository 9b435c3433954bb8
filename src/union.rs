//! Tagged unions: the API's "one of several kinds" objects (test kinds, parameter evaluation
//! strategies), told apart by a tag property (`type`).
//!
//! The spec writes them as `oneOf` + `discriminator` (or a plain `anyOf`) over variants whose
//! tag is optional with a default, so an untagged decoding would accept every object as the
//! first variant: a tool-call test silently read as an LLM test, its fields lost. `build.rs`
//! replaces each with an enum made by its `tagged_union!` macro:
//!
//! - an object whose tag names a known kind decodes into that kind's variant (an error in
//!   that variant's fields is an error, never a fall-back to another kind);
//! - any other object (a kind this version of the crate does not know yet, or no tag) is kept
//!   whole as `Unknown`, whose [`UnknownKind`] serialises back to the same JSON;
//! - a variant serialises as its fields plus the tag (added when the value lacks it), so the
//!   server always sees the kind the caller picked.

use serde::Serialize;
use serde_json::Value;

/// An object of a kind this version of the crate does not know, kept as received.
///
/// It cannot be constructed outside the crate, so a known kind is always its own variant.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownKind {
    tag: &'static str,
    value: Value,
}

impl UnknownKind {
    pub(crate) fn new(tag: &'static str, value: Value) -> Self {
        Self { tag, value }
    }

    /// The tag value (`"type": "voice"` → `Some("voice")`), `None` when the object has none.
    pub fn kind(&self) -> Option<&str> {
        self.value.get(self.tag).and_then(Value::as_str)
    }

    /// The object as received.
    pub fn as_json(&self) -> &Value {
        &self.value
    }

    /// The object as received, by value.
    pub fn into_json(self) -> Value {
        self.value
    }
}

impl Serialize for UnknownKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

/// Serialises `inner` as a JSON object with `tag: value` (added when `inner` lacks it).
#[doc(hidden)]
pub fn serialize_tagged<T: Serialize, S: serde::Serializer>(
    inner: &T,
    tag: &str,
    value: &str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut json = serde_json::to_value(inner).map_err(serde::ser::Error::custom)?;
    if let Value::Object(map) = &mut json {
        map.entry(tag)
            .or_insert_with(|| Value::String(value.to_owned()));
    }
    json.serialize(serializer)
}

/// The tag of `value`, or an error when `value` is not an object.
#[doc(hidden)]
pub fn tag_of<E: serde::de::Error>(
    value: &Value,
    tag: &str,
    union: &str,
) -> Result<Option<String>, E> {
    match value {
        Value::Object(map) => Ok(map.get(tag).and_then(Value::as_str).map(str::to_owned)),
        other => Err(E::custom(format_args!(
            "invalid {union}: expected an object with a `{tag}`, found {}",
            kind_of(other)
        ))),
    }
}

/// What to do with the variant type of one kind ([`TaggedUnion::visit_kind`]).
#[doc(hidden)]
pub trait KindVisitor {
    /// What the visit gives.
    type Output;
    /// Called with the variant type `T` of the kind.
    fn visit<T: serde::de::DeserializeOwned + schemars::JsonSchema>(self) -> Self::Output;
}

/// A union made by `tagged_union!`: its variant types reachable by tag, so code that needs
/// the type of a kind (the fake, locating an error inside a body) takes it from the union
/// instead of restating the tag → type map.
#[doc(hidden)]
pub trait TaggedUnion {
    /// Calls `visitor` with the variant type of kind `tag`; `None` for a kind it lacks.
    fn visit_kind<V: KindVisitor>(tag: &str, visitor: V) -> Option<V::Output>;
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Defines a tagged union: `Variant("tag value") => VariantType` rows plus `Unknown`.
macro_rules! tagged_union {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident tag $tag:literal { $($variant:ident($value:literal) => $ty:ident),* $(,)? }
    ) => {
        $(#[$meta])*
        ///
        #[doc = concat!("Tagged by `", $tag, "`: each known kind is its own variant; any other ",
            "object (a kind this version of the crate does not know) is kept whole in `Unknown`.")]
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                #[doc = concat!("`\"", $tag, "\": \"", $value, "\"`")]
                $variant($ty),
            )*
            /// A kind unknown to this version of the crate, kept as received.
            Unknown($crate::union::UnknownKind),
        }

        impl $name {
            /// The tag property.
            pub const TAG: &'static str = $tag;
            /// Every kind this version of the crate knows.
            pub const KNOWN: &'static [&'static str] = &[$($value),*];

            /// The kind: the tag's value (`None` for an unknown object without a tag).
            pub fn kind(&self) -> Option<&str> {
                match self {
                    $(Self::$variant(_) => Some($value),)*
                    Self::Unknown(u) => u.kind(),
                }
            }

            /// Whether this is a kind unknown to this version of the crate.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl $crate::union::TaggedUnion for $name {
            fn visit_kind<V: $crate::union::KindVisitor>(tag: &str, visitor: V) -> ::std::option::Option<V::Output> {
                match tag {
                    $($value => ::std::option::Option::Some(visitor.visit::<$ty>()),)*
                    _ => ::std::option::Option::None,
                }
            }
        }

        $(
            impl ::std::convert::From<$ty> for $name {
                fn from(value: $ty) -> Self {
                    Self::$variant(value)
                }
            }
        )*

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(v) => $crate::union::serialize_tagged(v, $tag, $value, serializer),)*
                    Self::Unknown(u) => ::serde::Serialize::serialize(u, serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                let tag = $crate::union::tag_of::<D::Error>(&value, $tag, stringify!($name))?;
                match tag.as_deref() {
                    $(
                        Some($value) => ::serde_json::from_value(value).map(Self::$variant).map_err(|e| {
                            <D::Error as ::serde::de::Error>::custom(format_args!(
                                "{} of kind `{}`: {}", stringify!($name), $value, e
                            ))
                        }),
                    )*
                    _ => Ok(Self::Unknown($crate::union::UnknownKind::new($tag, value))),
                }
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::string::String {
                stringify!($name).to_owned()
            }

            fn json_schema(generator: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                $crate::json_schema::one_of(vec![$(generator.subschema_for::<$ty>()),*])
            }
        }
    };
}
pub(crate) use tagged_union;
