//! Open (forward-compatible) string enums.
//!
//! typify generates closed enums, so a single value the API adds later (`role: "commenter"`
//! once was one) would fail a whole page. `build.rs` replaces every string-enum schema of the
//! spec with an enum made by [`open_enum!`]: known values are typed variants, anything else is
//! kept verbatim in `Unknown(String)` and serialises back to the same string.

/// Defines an open string enum: `Variant = "wire value"` pairs plus `Unknown(String)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($variant:ident = $value:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        ///
        /// Open enum: a value this version of the crate does not know deserialises to
        /// `Unknown` with the raw string, and serialises back to that same string.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                #[doc = concat!("`\"", $value, "\"`")]
                $variant,
            )*
            /// A value unknown to this version of the crate, kept verbatim.
            Unknown(::std::string::String),
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
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
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
