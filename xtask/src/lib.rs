//! `cargo xtask refresh-spec`: refreshes `spec/upstream.json` (the selected OpenAPI 3.1
//! fragment, as upstream) and `spec/openapi.json` (its OpenAPI 3.0.3 translation, read by
//! `build.rs`) from the upstream ElevenLabs document.
//!
//! Everything here is a pure function except [`refresh`] (and [`source::Source::fetch`]),
//! which read the source and `spec/`, and write `spec/`.

pub mod diff;
pub mod error;
pub mod hoist;
pub mod normalise;
pub mod select;
pub mod selection;
pub mod source;
pub mod translate;
pub mod unions;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use error::Error;
use selection::Selection;
use source::Source;

/// File name of the selection, inside the spec directory.
pub const SELECTION_FILE: &str = "selection.json";
/// File name of the selected upstream fragment, inside the spec directory.
pub const UPSTREAM_FILE: &str = "upstream.json";
/// File name of the translated 3.0.3 document, inside the spec directory.
pub const OPENAPI_FILE: &str = "openapi.json";

/// What to refresh, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where the upstream document comes from.
    pub source: Source,
    /// The `spec/` directory (holds `selection.json`; receives the two outputs).
    pub spec_dir: PathBuf,
    /// Only compare; write nothing.
    pub check: bool,
}

/// The two generated files, as text, plus the fragment they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The selected 3.1 fragment.
    pub fragment: Value,
    /// Canonical text of `spec/upstream.json`.
    pub upstream: String,
    /// Canonical text of `spec/openapi.json`.
    pub openapi: String,
}

/// Result of a successful run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `spec/` already held exactly what the source gives.
    UpToDate,
    /// `--check`: `spec/` differs from what the source gives.
    OutOfDate,
    /// The files were (re)written.
    Updated,
}

/// Result of [`refresh`]: status and the change summary (one line per change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What happened.
    pub status: Status,
    /// What changed, compared with the committed `spec/upstream.json`.
    pub summary: Vec<String>,
}

/// Selects, translates and renders: the whole pipeline from a parsed document to file texts.
pub fn generate(doc: &Value, selection: &Selection) -> Result<Generated, Error> {
    let fragment = select::select(doc, selection)?;
    let translated = translate::translate_document(&fragment, selection)?;
    Ok(Generated {
        upstream: normalise::render(&fragment),
        openapi: normalise::render(&translated),
        fragment,
    })
}

/// Reads the selection file of `spec_dir`.
pub fn read_selection(spec_dir: &Path) -> Result<Selection, Error> {
    let path = spec_dir.join(SELECTION_FILE);
    let text = fs::read_to_string(&path)
        .map_err(|e| Error::Selection(format!("cannot read {}: {e}", path.display())))?;
    selection::parse_selection(&text)
}

/// Reads a file that may not exist yet.
fn read_optional(path: &Path) -> Result<Option<String>, Error> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// The summary lines explaining why the committed files differ from `generated`.
pub fn change_summary(
    committed_upstream: Option<&str>,
    committed_openapi: Option<&str>,
    generated: &Generated,
) -> Vec<String> {
    let old: Option<Value> = committed_upstream.and_then(|t| serde_json::from_str(t).ok());
    let mut lines = Vec::new();
    if committed_upstream.is_some() && old.is_none() {
        lines.push(format!("committed spec/{UPSTREAM_FILE} is not valid JSON"));
    }
    lines.extend(diff::summarize(old.as_ref(), &generated.fragment));
    if lines.is_empty() && committed_upstream != Some(generated.upstream.as_str()) {
        lines.push(format!("spec/{UPSTREAM_FILE}: formatting differs"));
    }
    if committed_openapi != Some(generated.openapi.as_str()) {
        if committed_openapi.is_none() {
            lines.push(format!("spec/{OPENAPI_FILE} is missing"));
        } else if lines.is_empty() {
            lines.push(format!(
                "spec/{OPENAPI_FILE} differs from the translation of the fragment (translator changed?)"
            ));
        }
    }
    lines
}

/// Writes `text` to `path` through a temporary file in the same directory.
fn write_temp(path: &Path, text: &str) -> Result<PathBuf, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, text).map_err(|e| Error::Io {
        path: tmp.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(tmp)
}

/// Writes both files: temporaries first, renames only once both are written.
fn write_outputs(spec_dir: &Path, generated: &Generated) -> Result<(), Error> {
    let targets = [
        (spec_dir.join(UPSTREAM_FILE), &generated.upstream),
        (spec_dir.join(OPENAPI_FILE), &generated.openapi),
    ];
    let mut temps = Vec::new();
    for (path, text) in &targets {
        match write_temp(path, text) {
            Ok(tmp) => temps.push((tmp, path)),
            Err(e) => {
                for (tmp, _) in &temps {
                    let _ = fs::remove_file(tmp);
                }
                return Err(e);
            }
        }
    }
    for (tmp, path) in &temps {
        fs::rename(tmp, path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// Runs `trim-fixture`: writes the source trimmed to what the selection reaches
/// ([`select::trim`]) to `out`, in the canonical rendering.
pub fn trim_fixture(options: &Options, out: &Path) -> Result<(), Error> {
    let selection = read_selection(&options.spec_dir)?;
    let origin = options.source.describe();
    let doc = source::parse_document(&options.source.fetch()?, &origin)?;
    let trimmed = select::trim(&doc, &selection)?;
    let tmp = write_temp(out, &normalise::render(&trimmed))?;
    fs::rename(&tmp, out).map_err(|e| Error::Io {
        path: out.display().to_string(),
        reason: e.to_string(),
    })
}

/// Runs `refresh-spec`: reads the selection and the source, generates both files, compares
/// them with `spec/`, and (unless `check`) writes them. `spec/` is only written once
/// everything succeeded.
pub fn refresh(options: &Options) -> Result<Outcome, Error> {
    let selection = read_selection(&options.spec_dir)?;
    let origin = options.source.describe();
    let text = options.source.fetch()?;
    let doc = source::parse_document(&text, &origin)?;
    let generated = generate(&doc, &selection)?;

    let upstream_path = options.spec_dir.join(UPSTREAM_FILE);
    let openapi_path = options.spec_dir.join(OPENAPI_FILE);
    let committed_upstream = read_optional(&upstream_path)?;
    let committed_openapi = read_optional(&openapi_path)?;
    let up_to_date = committed_upstream.as_deref() == Some(generated.upstream.as_str())
        && committed_openapi.as_deref() == Some(generated.openapi.as_str());
    if up_to_date {
        return Ok(Outcome {
            status: Status::UpToDate,
            summary: Vec::new(),
        });
    }
    let summary = change_summary(
        committed_upstream.as_deref(),
        committed_openapi.as_deref(),
        &generated,
    );
    if options.check {
        return Ok(Outcome {
            status: Status::OutOfDate,
            summary,
        });
    }
    write_outputs(&options.spec_dir, &generated)?;
    Ok(Outcome {
        status: Status::Updated,
        summary,
    })
}
