//! The one error type of `refresh-spec`: every failure is reported as a single line.

use std::fmt;

/// Why `refresh-spec` could not produce a spec. Its `Display` is one line, without the
/// `error: ` prefix (the binary adds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The source (file or URL) could not be read or fetched.
    Read {
        /// The file path or URL.
        origin: String,
        /// What went wrong.
        reason: String,
    },
    /// The source is not JSON.
    NotJson {
        /// The file path or URL.
        origin: String,
        /// The JSON parser's message.
        reason: String,
    },
    /// The source is JSON but not an OpenAPI document.
    NotOpenApi {
        /// The file path or URL.
        origin: String,
        /// What is missing.
        reason: String,
    },
    /// The document's `openapi` version is neither 3.1.x nor 3.0.x.
    UnsupportedVersion {
        /// The file path or URL.
        origin: String,
        /// The `openapi` field as found.
        version: String,
    },
    /// `spec/selection.json` is missing or malformed.
    Selection(String),
    /// A selected operation does not exist in the source.
    UnknownOperation {
        /// Lower-case HTTP method.
        method: String,
        /// Path template.
        path: String,
    },
    /// A selected extra schema does not exist in the source.
    UnknownSchema(String),
    /// The upstream `operationId` of a selected operation is not the one `selection.json` maps.
    OperationIdChanged {
        /// Lower-case HTTP method.
        method: String,
        /// Path template.
        path: String,
        /// What `selection.json` says.
        expected: String,
        /// What the source says (empty when it has none).
        found: String,
    },
    /// A pruning rule of `selection.json` names something the source does not have.
    StalePruning(String),
    /// A `$ref` points at a component schema that does not exist.
    DanglingRef {
        /// The reference.
        reference: String,
        /// Where it was found.
        from: String,
    },
    /// A `$ref` points somewhere other than `#/components/schemas/`.
    UnsupportedRef {
        /// The reference.
        reference: String,
        /// Where it was found.
        from: String,
    },
    /// A hoisted inline enum would take a name that is already used.
    NameCollision {
        /// The name both want.
        name: String,
        /// Where the hoisted enum comes from.
        hoisted_from: String,
        /// The existing owner of the name.
        existing: String,
    },
    /// `spec/overlay.json` is malformed, or an action does not fit the node it targets.
    Overlay(String),
    /// Where the source came from is unknown or malformed (`spec/SOURCE.json`, a fixture's
    /// `x-trimmed-from`, `--date`).
    Provenance(String),
    /// Reading or writing `spec/` failed.
    Io {
        /// The file concerned.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::Read { origin, reason } => format!("cannot read `{origin}`: {reason}"),
            Error::NotJson { origin, reason } => format!("`{origin}` is not JSON: {reason}"),
            Error::NotOpenApi { origin, reason } => {
                format!("`{origin}` is not an OpenAPI document: {reason}")
            }
            Error::UnsupportedVersion { origin, version } => {
                format!("`{origin}` is OpenAPI `{version}`, expected 3.1.x or 3.0.x")
            }
            Error::Selection(reason) => format!("bad spec/selection.json: {reason}"),
            Error::UnknownOperation { method, path } => format!(
                "selected operation `{} {path}` is not in the source",
                method.to_uppercase()
            ),
            Error::UnknownSchema(name) => {
                format!("selected extra schema `{name}` is not in the source's components.schemas")
            }
            Error::OperationIdChanged {
                method,
                path,
                expected,
                found,
            } => format!(
                "operation `{} {path}`: spec/selection.json maps upstream operationId `{expected}`, the source now says `{found}`; check the operation and update selection.json",
                method.to_uppercase()
            ),
            Error::StalePruning(what) => format!("pruning rule in spec/selection.json: {what}"),
            Error::DanglingRef { reference, from } => {
                format!("dangling $ref `{reference}` in {from}")
            }
            Error::UnsupportedRef { reference, from } => format!(
                "unsupported $ref `{reference}` in {from} (only #/components/schemas/... is supported)"
            ),
            Error::NameCollision {
                name,
                hoisted_from,
                existing,
            } => format!(
                "inline enum at {hoisted_from} would be hoisted as `{name}`, which is already taken by {existing}"
            ),
            Error::Overlay(reason) => format!("bad spec/overlay.json: {reason}"),
            Error::Provenance(reason) => format!("provenance: {reason}"),
            Error::Io { path, reason } => format!("{path}: {reason}"),
        };
        // Keep the promise of a one-line message whatever the underlying error says.
        f.write_str(&one_line(&text))
    }
}

impl std::error::Error for Error {}

/// Collapses all whitespace runs containing line breaks into single spaces.
pub fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let e = Error::NotJson {
            origin: "x.json".into(),
            reason: "expected value\n at line 1".into(),
        };
        assert_eq!(
            e.to_string(),
            "`x.json` is not JSON: expected value at line 1"
        );
    }

    #[test]
    fn unknown_operation_names_it() {
        let e = Error::UnknownOperation {
            method: "get".into(),
            path: "/nope".into(),
        };
        assert_eq!(
            e.to_string(),
            "selected operation `GET /nope` is not in the source"
        );
    }
}
