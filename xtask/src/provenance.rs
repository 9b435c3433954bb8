//! Where `spec/` came from: `spec/SOURCE.json` names the upstream document (its source, its
//! date and the sha256 of its bytes), written by `refresh-spec` beside the files it generates
//! and compared by `--check`. A trimmed fixture (`trim-fixture`) carries the provenance of
//! the document it was trimmed from (top-level [`TRIMMED_FROM`]), so that refreshing from the
//! fixture records the same provenance as refreshing from the document itself.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::error::Error;
use crate::normalise;

/// File name of the provenance record, inside the spec directory.
pub const SOURCE_FILE: &str = "SOURCE.json";

/// Top-level key of a trimmed fixture holding the provenance of the document it was trimmed
/// from (never copied into `spec/`: the selection copies `openapi`, `info`, `paths` and
/// `components` only).
pub const TRIMMED_FROM: &str = "x-trimmed-from";

/// Where an upstream document came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The `--from` it was read from (a URL or a path), as first given.
    pub source: String,
    /// Its date (`YYYY-MM-DD`): given with `--date`, or the day a URL was fetched. `None`:
    /// a document not seen before, read from a file, without `--date`.
    pub date: Option<String>,
    /// The sha256 of its bytes, in lower-case hex.
    pub sha256: String,
}

impl Provenance {
    /// The record as JSON: `{"date", "sha256", "source"}`.
    pub fn to_json(&self) -> Value {
        json!({"source": self.source, "date": self.date, "sha256": self.sha256})
    }

    /// The canonical text of `spec/SOURCE.json`.
    pub fn render(&self) -> String {
        normalise::render(&self.to_json())
    }

    /// Reads a record (of `spec/SOURCE.json` or a fixture's [`TRIMMED_FROM`]); `what` names
    /// it in the error.
    pub fn from_json(value: &Value, what: &str) -> Result<Provenance, Error> {
        let field = |name: &str| -> Result<String, Error> {
            value
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::Provenance(format!("{what}: `{name}` is not a string")))
        };
        let (source, date, sha256) = (field("source")?, field("date")?, field("sha256")?);
        if !is_date(&date) {
            return Err(Error::Provenance(format!(
                "{what}: `date` is `{date}`, expected YYYY-MM-DD"
            )));
        }
        if !is_sha256(&sha256) {
            return Err(Error::Provenance(format!(
                "{what}: `sha256` is `{sha256}`, expected 64 lower-case hex digits"
            )));
        }
        Ok(Provenance {
            source,
            date: Some(date),
            sha256,
        })
    }

    /// Parses the text of `spec/SOURCE.json`.
    pub fn parse(text: &str) -> Result<Provenance, Error> {
        let what = format!("spec/{SOURCE_FILE}");
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::Provenance(format!("{what} is not JSON: {e}")))?;
        Provenance::from_json(&value, &what)
    }
}

/// The provenance of a source document: the one its [`TRIMMED_FROM`] records, if it is a
/// trimmed fixture; otherwise `origin` (the `--from`) and the sha256 of `text`, with the
/// source and date of `committed` when that is the same document (the same bytes read from
/// elsewhere), else the date of a URL's fetch (today, UTC). `date` (`--date`) overrides the
/// date in every case.
pub fn of_source(
    doc: &Value,
    text: &str,
    origin: &str,
    is_url: bool,
    date: Option<&str>,
    committed: Option<&Provenance>,
) -> Result<Provenance, Error> {
    if let Some(date) = date.filter(|d| !is_date(d)) {
        return Err(Error::Provenance(format!(
            "--date is `{date}`, expected YYYY-MM-DD"
        )));
    }
    let mut found = match doc.get(TRIMMED_FROM) {
        Some(recorded) => Provenance::from_json(recorded, &format!("`{origin}` {TRIMMED_FROM}"))?,
        None => {
            let sha256 = sha256_hex(text.as_bytes());
            match committed.filter(|c| c.sha256 == sha256) {
                Some(same) => same.clone(),
                None => Provenance {
                    source: origin.to_owned(),
                    date: is_url.then(today),
                    sha256,
                },
            }
        }
    };
    if let Some(date) = date {
        found.date = Some(date.to_owned());
    }
    Ok(found)
}

/// The summary lines of how `found` differs from the committed `spec/SOURCE.json` text (none
/// when it is exactly what would be written).
pub fn changes(committed: Option<&str>, found: &Provenance) -> Vec<String> {
    let file = format!("spec/{SOURCE_FILE}");
    let Some(text) = committed else {
        return vec![format!("{file} is missing")];
    };
    let old = match Provenance::parse(text) {
        Ok(old) => old,
        Err(e) => return vec![format!("{e}")],
    };
    let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "unknown".into());
    let mut lines = Vec::new();
    if old.sha256 != found.sha256 {
        lines.push(format!("{file}: sha256 {} → {}", old.sha256, found.sha256));
    }
    if old.source != found.source {
        lines.push(format!("{file}: source {} → {}", old.source, found.source));
    }
    if old.date != found.date {
        lines.push(format!(
            "{file}: date {} → {}",
            show(&old.date),
            show(&found.date)
        ));
    }
    // (`old` has a date, so with no line `found` has one too: it can be rendered.)
    if lines.is_empty() && text != found.render() {
        lines.push(format!("{file}: formatting differs"));
    }
    lines
}

/// Whether `s` is a calendar date written `YYYY-MM-DD`.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// The sha256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date(secs / 86_400)
}

/// The `YYYY-MM-DD` date `days` days after 1970-01-01 (H. Hinnant's `civil_from_days`).
pub fn civil_date(days: u64) -> String {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "4b94e2bd912dac1d9c1dd6200fc6b78ab8d5c7622965d956292fb2a8e379a12c";

    fn record(source: &str, date: &str, sha256: &str) -> Provenance {
        Provenance {
            source: source.into(),
            date: Some(date.into()),
            sha256: sha256.into(),
        }
    }

    #[test]
    fn sha256_of_known_inputs() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(59), "1970-03-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(11_017), "2000-03-01");
        assert_eq!(civil_date(20_712), "2026-09-16");
        assert_eq!(civil_date(20_818), "2026-12-31");
        assert_eq!(civil_date(20_819), "2027-01-01");
        assert!(is_date(&today()));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970");
        let day = now.as_secs() / 86_400;
        // (Around midnight the two calls may see different days.)
        assert!([civil_date(day), civil_date(day + 1)].contains(&today()));
        assert!(today().as_str() >= "2026-01-01");
    }

    #[test]
    fn dates_are_checked() {
        for good in [
            "2026-09-16",
            "2026-02-28",
            "2024-02-29",
            "2000-02-29",
            "1999-12-31",
            "2026-04-30",
        ] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2026-9-16",
            "2026-09-16T00:00",
            "2026/09/16",
            "2026-09/16",
            "2026/09-16",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-02-29",
            "1900-02-29",
            "2026-09-00",
            "20a6-09-16",
            "2026-+9-16",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn a_record_round_trips_and_bad_ones_are_named() {
        let r = record("u.json", "2026-09-16", SHA);
        assert_eq!(Provenance::parse(&r.render()), Ok(r.clone()));
        assert_eq!(
            r.render(),
            format!(
                "{{\n  \"date\": \"2026-09-16\",\n  \"sha256\": \"{SHA}\",\n  \"source\": \"u.json\"\n}}\n"
            )
        );
        let bad = |v: Value| Provenance::from_json(&v, "here").unwrap_err().to_string();
        assert!(bad(json!({"date": "2026-09-16", "sha256": SHA})).contains("`source`"));
        assert!(bad(json!({"source": "s", "sha256": SHA})).contains("`date`"));
        assert!(
            bad(json!({"source": "s", "date": "16.9.2026", "sha256": SHA})).contains("YYYY-MM-DD")
        );
        assert!(
            bad(json!({"source": "s", "date": "2026-09-16", "sha256": SHA.to_uppercase()}))
                .contains("64 lower-case hex")
        );
        assert!(
            bad(json!({"source": "s", "date": "2026-09-16", "sha256": &SHA[1..]}))
                .contains("64 lower-case hex")
        );
        assert!(
            Provenance::parse("{")
                .unwrap_err()
                .to_string()
                .contains("spec/SOURCE.json is not JSON")
        );
    }

    #[test]
    fn a_new_file_has_no_date_until_given() {
        let doc = json!({"openapi": "3.1.0"});
        let p = of_source(&doc, "abc", "new.json", false, None, None).expect("found");
        assert_eq!(p.source, "new.json");
        assert_eq!(p.date, None);
        assert_eq!(p.sha256, sha256_hex(b"abc"));
        let p = of_source(&doc, "abc", "new.json", false, Some("2026-09-16"), None).expect("found");
        assert_eq!(p.date.as_deref(), Some("2026-09-16"));
        let err = of_source(&doc, "abc", "new.json", false, Some("yesterday"), None).unwrap_err();
        assert!(err.to_string().contains("--date is `yesterday`"), "{err}");
        // A URL is dated by its fetch.
        let p = of_source(&doc, "abc", "https://x/o.json", true, None, None).expect("found");
        assert_eq!(p.date, Some(today()));
    }

    #[test]
    fn the_committed_document_read_from_elsewhere_keeps_its_record() {
        let doc = json!({});
        let committed = record(
            "../shared/upstream/openapi-2026-09.json",
            "2026-09-16",
            &sha256_hex(b"abc"),
        );
        let p = of_source(
            &doc,
            "abc",
            "/elsewhere/o.json",
            true,
            None,
            Some(&committed),
        )
        .expect("found");
        assert_eq!(p, committed);
        let p = of_source(
            &doc,
            "abc",
            "o.json",
            false,
            Some("2026-10-01"),
            Some(&committed),
        )
        .expect("found");
        assert_eq!(p.date.as_deref(), Some("2026-10-01"));
        assert_eq!(p.source, committed.source);
        // Other bytes are another document.
        let p = of_source(&doc, "abd", "o.json", false, None, Some(&committed)).expect("found");
        assert_eq!((p.source.as_str(), p.date.as_deref()), ("o.json", None));
    }

    #[test]
    fn a_trimmed_fixture_stands_for_its_original() {
        let original = record("../shared/upstream/openapi-2026-09.json", "2026-09-16", SHA);
        let doc = json!({"openapi": "3.1.0", TRIMMED_FROM: original.to_json()});
        let p = of_source(&doc, "trimmed text", "fixture.json", false, None, None).expect("found");
        assert_eq!(p, original);
        let doc = json!({TRIMMED_FROM: {"source": "s"}});
        let err = of_source(&doc, "t", "fixture.json", false, None, None).unwrap_err();
        assert!(
            err.to_string().contains("`fixture.json` x-trimmed-from"),
            "{err}"
        );
    }

    #[test]
    fn changes_name_each_field() {
        let old = record("a.json", "2026-08-22", &"a".repeat(64));
        let new = record("b.json", "2026-09-16", SHA);
        assert_eq!(changes(Some(&old.render()), &old), Vec::<String>::new());
        assert_eq!(
            changes(Some(&old.render()), &new),
            vec![
                format!("spec/SOURCE.json: sha256 {} → {SHA}", "a".repeat(64)),
                "spec/SOURCE.json: source a.json → b.json".to_owned(),
                "spec/SOURCE.json: date 2026-08-22 → 2026-09-16".to_owned(),
            ]
        );
        let undated = Provenance {
            date: None,
            ..old.clone()
        };
        assert_eq!(
            changes(Some(&old.render()), &undated),
            vec!["spec/SOURCE.json: date 2026-08-22 → unknown"]
        );
        assert_eq!(changes(None, &old), vec!["spec/SOURCE.json is missing"]);
        assert_eq!(
            changes(Some(&format!("{}\n", old.render())), &old),
            vec!["spec/SOURCE.json: formatting differs"]
        );
        let damaged = changes(Some("[]"), &old);
        assert_eq!(damaged.len(), 1);
        assert!(
            damaged[0].contains("spec/SOURCE.json: `source`"),
            "{damaged:?}"
        );
    }
}
