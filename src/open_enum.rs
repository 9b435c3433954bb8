//! Open (forward-compatible) string enums.
//!
//! typify generates closed enums, so a single value the API adds later (`role: "commenter"`
//! once was one) would fail a whole page. `build.rs` replaces every string-enum schema of the
//! spec with an enum made by [`open_enum!`]: known values are typed variants, anything else is
//! kept verbatim in `Unknown(UnknownValue)` and serialises back to the same string.
//!
//! [`UnknownValue`] is opaque (as aws-sdk-rust's `UnknownVariantValue`): only this crate makes
//! one, from a string that is no known value, so `Unknown` never holds `"admin"` beside
//! `Admin`, and equality, hashing and ordering agree with the wire value.

/// The raw string of an open enum's `Unknown` variant: a value this version of the crate does
/// not know. Read it with [`UnknownValue::as_str`] (or the enum's own `as_str`).
///
/// It cannot be made outside the crate: make an open-enum value from a string with `From` or
/// `FromStr`, which picks the typed variant for a known value.
///
/// ```
/// use elevenlabs_agent_tests::types::ResourceAccessInfoRole as Role;
///
/// assert_eq!(Role::from("admin"), Role::Admin);
/// let owner = Role::from("owner");
/// match &owner {
///     Role::Unknown(raw) => assert_eq!(raw.as_str(), "owner"),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(owner.as_str(), "owner");
/// assert_eq!(serde_json::to_string(&owner).unwrap(), r#""owner""#);
/// ```
///
/// A known value cannot be smuggled into `Unknown`:
///
/// ```compile_fail
/// use elevenlabs_agent_tests::types::ResourceAccessInfoRole as Role;
/// let fake_admin = Role::Unknown("admin".into());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(String);

impl UnknownValue {
    /// Wraps a string that is none of its enum's known values (the macro checks).
    pub(crate) fn new(raw: String) -> Self {
        Self(raw)
    }

    /// The raw string, as the API sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for UnknownValue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Defines an open string enum: `Variant = "wire value"` pairs plus `Unknown(UnknownValue)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($variant:ident = $value:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        ///
        /// Open enum: a value this version of the crate does not know deserialises to
        /// `Unknown` with the raw string (an opaque [`UnknownValue`](crate::UnknownValue),
        /// read with `as_str`), and serialises back to that same string. Make a value from a
        /// string with `From<&str>` or `FromStr`.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                #[doc = concat!("`\"", $value, "\"`")]
                $variant,
            )*
            /// A value unknown to this version of the crate, kept verbatim; never a known one.
            Unknown($crate::open_enum::UnknownValue),
        }

        impl $name {
            /// Every value this version of the crate knows, in spec order.
            pub const KNOWN: &'static [&'static str] = &[$($value),*];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(raw) => raw.as_str(),
                }
            }

            /// Whether this value is unknown to this version of the crate.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown($crate::open_enum::UnknownValue::new(other.to_owned())),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown($crate::open_enum::UnknownValue::new(value)),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                deserializer.deserialize_str($crate::open_enum::OpenEnumVisitor::<Self>::new(stringify!($name)))
            }
        }
    };
}
pub(crate) use open_enum;

/// Serde visitor shared by every open enum: accepts any string, owned or borrowed.
#[doc(hidden)]
pub struct OpenEnumVisitor<T> {
    name: &'static str,
    _marker: std::marker::PhantomData<fn() -> T>,
}

impl<T> OpenEnumVisitor<T> {
    /// A visitor for the enum named `name` (used in error messages).
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            _marker: std::marker::PhantomData,
        }
    }
}

impl<T> serde::de::Visitor<'_> for OpenEnumVisitor<T>
where
    T: for<'a> From<&'a str> + From<String>,
{
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a string value of {}", self.name)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::from(v))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::from(v))
    }
}
