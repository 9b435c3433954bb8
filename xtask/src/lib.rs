//! `cargo xtask refresh-spec`: refreshes, from the upstream ElevenLabs document and the
//! overlay `spec/overlay.json` (OpenAPI Overlay 1.0.0, applied before selection):
//! - `spec/upstream.json`: the selected OpenAPI 3.1 fragment of the upstream document alone;
//! - `spec/effective.json`: the selected 3.1 fragment of upstream + overlay (what the
//!   conformance tests validate against);
//! - `spec/openapi.json`: the OpenAPI 3.0.3 translation of the effective fragment, read by
//!   `build.rs`;
//! - `spec/SOURCE.json`: where the upstream document came from (source, date, sha256; see
//!   [`provenance`]).
//!
//! Everything here is a pure function except [`refresh`] (and [`source::Source::fetch`]),
//! which read the source and `spec/`, and write `spec/`.

pub mod diff;
pub mod error;
pub mod hoist;
pub mod normalise;
pub mod overlay;
pub mod provenance;
pub mod select;
pub mod selection;
pub mod source;
pub mod translate;
pub mod unions;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use error::Error;
use overlay::{ActionReport, Overlay};
use provenance::{Provenance, SOURCE_FILE};
use selection::Selection;
use source::Source;

/// File name of the selection, inside the spec directory.
pub const SELECTION_FILE: &str = "selection.json";
/// File name of the selected upstream fragment, inside the spec directory.
pub const UPSTREAM_FILE: &str = "upstream.json";
/// File name of the translated 3.0.3 document, inside the spec directory.
pub const OPENAPI_FILE: &str = "openapi.json";
/// File name of the overlay, inside the spec directory (optional).
pub const OVERLAY_FILE: &str = "overlay.json";
/// File name of the selected fragment of upstream + overlay, inside the spec directory.
pub const EFFECTIVE_FILE: &str = "effective.json";

/// What to refresh, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where the upstream document comes from.
    pub source: Source,
    /// The `spec/` directory (holds `selection.json` and `overlay.json`; receives the three
    /// outputs).
    pub spec_dir: PathBuf,
    /// Only compare; write nothing.
    pub check: bool,
    /// The date of the source document (`YYYY-MM-DD`, `--date`), recorded in
    /// `spec/SOURCE.json`; see [`provenance::of_source`] for when it is needed.
    pub date: Option<String>,
}

/// The three generated files, as text, plus the fragments they came from and the overlay's
/// report.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The selected 3.1 fragment of the upstream document alone.
    pub fragment: Value,
    /// The selected 3.1 fragment of upstream + overlay.
    pub effective_fragment: Value,
    /// Canonical text of `spec/upstream.json`.
    pub upstream: String,
    /// Canonical text of `spec/effective.json`.
    pub effective: String,
    /// Canonical text of `spec/openapi.json`.
    pub openapi: String,
    /// One report per overlay action, in order (empty without an overlay).
    pub reports: Vec<ActionReport>,
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
    /// An overlay action does not apply cleanly (redundant, partly redundant, conflicting
    /// or dangling): nothing was written.
    OverlayBlocked,
}

/// Result of [`refresh`]: status and the change summary (one line per change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshReport {
    /// What happened.
    pub status: Status,
    /// What changed, compared with the committed `spec/upstream.json` and
    /// `spec/effective.json`.
    pub summary: Vec<String>,
    /// The overlay actions that do not apply cleanly (every verdict but `applies`), one
    /// line each; non-empty only with [`Status::OverlayBlocked`].
    pub overlay: Vec<String>,
}

/// Overlays, selects, translates and renders: the whole pipeline from a parsed document to
/// file texts. The overlay is applied to the whole document, before selection, so that what
/// it adds is selected like what upstream has; `spec/upstream.json` is selected from the
/// document alone.
pub fn generate(
    doc: &Value,
    selection: &Selection,
    overlay: Option<&Overlay>,
) -> Result<Generated, Error> {
    let (overlaid, reports) = match overlay {
        Some(o) => {
            let applied = o.apply(doc)?;
            (applied.document, applied.reports)
        }
        None => (doc.clone(), Vec::new()),
    };
    let effective_fragment = select::select(&overlaid, selection)?;
    let fragment = select::select(doc, &selection.restricted_to(doc))?;
    let translated = translate::translate_document(&effective_fragment, selection)?;
    Ok(Generated {
        upstream: normalise::render(&fragment),
        effective: normalise::render(&effective_fragment),
        openapi: normalise::render(&translated),
        fragment,
        effective_fragment,
        reports,
    })
}

/// Reads and parses the overlay of `spec_dir`; `None` when there is none.
pub fn read_overlay(spec_dir: &Path) -> Result<Option<Overlay>, Error> {
    let path = spec_dir.join(OVERLAY_FILE);
    match read_optional(&path)? {
        None => Ok(None),
        Some(text) => overlay::parse_overlay(&text).map(Some),
    }
}

/// The report lines of the actions that do not apply cleanly: every verdict but `applies`.
pub fn overlay_lines(reports: &[ActionReport]) -> Vec<String> {
    reports
        .iter()
        .filter(|r| r.is_blocking())
        .map(ToString::to_string)
        .collect()
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

/// The summary lines of what changed upstream: committed `spec/upstream.json` → generated.
pub fn upstream_summary(committed: &Committed, generated: &Generated) -> Vec<String> {
    let old: Option<Value> = committed
        .upstream
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    let mut lines = Vec::new();
    if committed.upstream.is_some() && old.is_none() {
        lines.push(format!("committed spec/{UPSTREAM_FILE} is not valid JSON"));
    }
    lines.extend(diff::summarize(old.as_ref(), &generated.fragment));
    if lines.is_empty() && committed.upstream.as_deref() != Some(generated.upstream.as_str()) {
        lines.push(format!("spec/{UPSTREAM_FILE}: formatting differs"));
    }
    lines
}

/// The committed outputs of `spec/`, as text (`None` when missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// `spec/upstream.json`.
    pub upstream: Option<String>,
    /// `spec/effective.json`.
    pub effective: Option<String>,
    /// `spec/openapi.json`.
    pub openapi: Option<String>,
    /// `spec/SOURCE.json`.
    pub source: Option<String>,
}

impl Committed {
    /// Reads them from `spec_dir`.
    pub fn read(spec_dir: &Path) -> Result<Committed, Error> {
        Ok(Committed {
            upstream: read_optional(&spec_dir.join(UPSTREAM_FILE))?,
            effective: read_optional(&spec_dir.join(EFFECTIVE_FILE))?,
            openapi: read_optional(&spec_dir.join(OPENAPI_FILE))?,
            source: read_optional(&spec_dir.join(SOURCE_FILE))?,
        })
    }

    /// The committed provenance, when `spec/SOURCE.json` exists and is well-formed.
    pub fn provenance(&self) -> Option<Provenance> {
        self.source
            .as_deref()
            .and_then(|t| Provenance::parse(t).ok())
    }

    /// Whether they are exactly what `generated` holds.
    pub fn matches(&self, generated: &Generated) -> bool {
        self.upstream.as_deref() == Some(generated.upstream.as_str())
            && self.effective.as_deref() == Some(generated.effective.as_str())
            && self.openapi.as_deref() == Some(generated.openapi.as_str())
    }
}

/// The summary lines explaining why the committed files differ from `generated`: first what
/// changed upstream (`spec/upstream.json`), then what changed only with the overlay applied
/// (`spec/effective.json`, prefixed `with the overlay: `), then the translation.
pub fn change_summary(committed: &Committed, generated: &Generated) -> Vec<String> {
    let parse = |t: &Option<String>| -> Option<Value> {
        t.as_deref().and_then(|t| serde_json::from_str(t).ok())
    };
    let mut lines = upstream_summary(committed, generated);
    if committed.effective.as_deref() != Some(generated.effective.as_str()) {
        match parse(&committed.effective) {
            None if committed.effective.is_none() => {
                lines.push(format!("spec/{EFFECTIVE_FILE} is missing"));
            }
            None => lines.push(format!("committed spec/{EFFECTIVE_FILE} is not valid JSON")),
            Some(old_effective) => {
                let upstream_lines = lines.clone();
                let before = lines.len();
                lines.extend(
                    diff::summarize(Some(&old_effective), &generated.effective_fragment)
                        .into_iter()
                        .filter(|l| !upstream_lines.contains(l))
                        .map(|l| format!("with the overlay: {l}")),
                );
                if lines.len() == before && upstream_lines.is_empty() {
                    lines.push(format!("spec/{EFFECTIVE_FILE}: formatting differs"));
                }
            }
        }
    }
    if committed.openapi.as_deref() != Some(generated.openapi.as_str()) {
        if committed.openapi.is_none() {
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

/// Writes the three files and `SOURCE.json`: temporaries first, renames only once all are
/// written.
fn write_outputs(spec_dir: &Path, generated: &Generated, source: &str) -> Result<(), Error> {
    let source = source.to_owned();
    let targets = [
        (spec_dir.join(UPSTREAM_FILE), &generated.upstream),
        (spec_dir.join(EFFECTIVE_FILE), &generated.effective),
        (spec_dir.join(OPENAPI_FILE), &generated.openapi),
        (spec_dir.join(SOURCE_FILE), &source),
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

/// The source trimmed to what the selection reaches, as upstream has it: the selected
/// operations the source has, and the schemas of the pruned closure both of the source alone
/// and of the source with the overlay applied (those the source has). Refreshing from it gives
/// the same `spec/` as refreshing from the whole source.
pub fn trim_document(
    doc: &Value,
    selection: &Selection,
    overlay: Option<&Overlay>,
) -> Result<Value, Error> {
    let mut out = select::trim(doc, &selection.restricted_to(doc))?;
    let Some(overlay) = overlay else {
        return Ok(out);
    };
    let overlaid = select::trim(&overlay.apply(doc)?.document, selection)?;
    let reached = overlaid
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let source = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    if let (Some(source), Some(Value::Object(schemas))) =
        (source, out.pointer_mut("/components/schemas"))
    {
        for name in reached {
            if let Some(schema) = source.get(&name) {
                schemas.entry(name).or_insert_with(|| schema.clone());
            }
        }
    }
    Ok(out)
}

/// Where the source came from: [`provenance::of_source`] with the options' date and the
/// committed record.
fn source_provenance(
    options: &Options,
    doc: &Value,
    text: &str,
    committed: &Committed,
) -> Result<Provenance, Error> {
    provenance::of_source(
        doc,
        text,
        &options.source.describe(),
        matches!(options.source, Source::Url(_)),
        options.date.as_deref(),
        committed.provenance().as_ref(),
    )
}

/// The error for a source whose date is unknown and needed.
fn undated(origin: &str, found: &Provenance) -> Error {
    Error::Provenance(format!(
        "`{origin}` is a document spec/{SOURCE_FILE} does not record (sha256 {}): give its date with --date YYYY-MM-DD",
        found.sha256
    ))
}

/// Runs `trim-fixture`: writes [`trim_document`] of the source to `out`, in the canonical
/// rendering, with the source's provenance under [`provenance::TRIMMED_FROM`].
pub fn trim_fixture(options: &Options, out: &Path) -> Result<(), Error> {
    let selection = read_selection(&options.spec_dir)?;
    let overlay = read_overlay(&options.spec_dir)?;
    let origin = options.source.describe();
    let text = options.source.fetch()?;
    let doc = source::parse_document(&text, &origin)?;
    let committed = Committed::read(&options.spec_dir)?;
    let found = source_provenance(options, &doc, &text, &committed)?;
    if found.date.is_none() {
        return Err(undated(&origin, &found));
    }
    let mut trimmed = trim_document(&doc, &selection, overlay.as_ref())?;
    if let Value::Object(map) = &mut trimmed {
        map.insert(provenance::TRIMMED_FROM.to_owned(), found.to_json());
    }
    let tmp = write_temp(out, &normalise::render(&trimmed))?;
    fs::rename(&tmp, out).map_err(|e| Error::Io {
        path: out.display().to_string(),
        reason: e.to_string(),
    })
}

/// Runs `refresh-spec`: reads the selection, the overlay and the source, generates the three
/// files and the provenance record, compares them with `spec/`, and (unless `check`) writes
/// them (a source `spec/SOURCE.json` does not record needs a date: [`provenance::of_source`]). `spec/` is only
/// written once everything succeeded, and not at all while an overlay action does not apply
/// cleanly: a redundant update still appends (a second copy of an enum value, of a
/// parameter), a conflicting one mixes two definitions, a dangling one is lost.
pub fn refresh(options: &Options) -> Result<RefreshReport, Error> {
    let selection = read_selection(&options.spec_dir)?;
    let overlay = read_overlay(&options.spec_dir)?;
    let origin = options.source.describe();
    let text = options.source.fetch()?;
    let doc = source::parse_document(&text, &origin)?;
    let generated = generate(&doc, &selection, overlay.as_ref())?;
    let overlay_report = overlay_lines(&generated.reports);

    let committed = Committed::read(&options.spec_dir)?;
    let found = source_provenance(options, &doc, &text, &committed)?;
    if !overlay_report.is_empty() {
        // What the overlay gives is not what it means to say: only upstream's changes are
        // worth listing.
        return Ok(RefreshReport {
            status: Status::OverlayBlocked,
            summary: upstream_summary(&committed, &generated),
            overlay: overlay_report,
        });
    }
    let source_lines = provenance::changes(committed.source.as_deref(), &found);
    let up_to_date = committed.matches(&generated) && source_lines.is_empty();
    let summary = if up_to_date {
        Vec::new()
    } else {
        let mut lines = change_summary(&committed, &generated);
        lines.extend(source_lines);
        lines
    };
    let status = if up_to_date {
        Status::UpToDate
    } else if options.check {
        Status::OutOfDate
    } else if found.date.is_none() {
        return Err(undated(&origin, &found));
    } else {
        write_outputs(&options.spec_dir, &generated, &found.render())?;
        Status::Updated
    };
    Ok(RefreshReport {
        status,
        summary,
        overlay: overlay_report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(source: Source, date: Option<&str>) -> Options {
        Options {
            source,
            spec_dir: PathBuf::from("spec"),
            check: true,
            date: date.map(str::to_owned),
        }
    }

    #[test]
    fn a_new_url_is_dated_by_its_fetch_and_a_new_file_is_not() {
        let doc = json!({"openapi": "3.1.0"});
        let none = Committed::default();
        let url = Source::Url("https://example.test/openapi.json".into());
        let found = source_provenance(&options(url, None), &doc, "{}", &none).expect("found");
        assert_eq!(found.date, Some(provenance::today()));
        assert_eq!(found.source, "https://example.test/openapi.json");
        let file = Source::File("o.json".into());
        let found =
            source_provenance(&options(file.clone(), None), &doc, "{}", &none).expect("found");
        assert_eq!(found.date, None);
        let found = source_provenance(&options(file, Some("2026-09-16")), &doc, "{}", &none)
            .expect("found");
        assert_eq!(found.date.as_deref(), Some("2026-09-16"));
    }

    #[test]
    fn the_committed_record_is_read() {
        let record = Provenance {
            source: "s.json".into(),
            date: Some("2026-09-16".into()),
            sha256: provenance::sha256_hex(b"{}"),
        };
        let committed = Committed {
            source: Some(record.render()),
            ..Committed::default()
        };
        assert_eq!(committed.provenance(), Some(record.clone()));
        let found = source_provenance(
            &options(Source::File("elsewhere.json".into()), None),
            &json!({}),
            "{}",
            &committed,
        )
        .expect("found");
        assert_eq!(found, record);
        let damaged = Committed {
            source: Some("{".into()),
            ..Committed::default()
        };
        assert_eq!(damaged.provenance(), None);
    }
}
