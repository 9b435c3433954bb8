//! `cargo xtask`: project maintenance tasks. See `cargo xtask --help`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::source::{DEFAULT_URL, Source};
use xtask::{Options, Status, refresh};

const USAGE: &str = "\
usage: cargo xtask refresh-spec [--from PATH|URL] [--date YYYY-MM-DD] [--check] [--spec-dir DIR]
       cargo xtask trim-fixture [--from PATH|URL] [--date YYYY-MM-DD] [--spec-dir DIR] --out FILE

Applies spec/overlay.json (OpenAPI Overlay 1.0.0: what the live API has beyond the
upstream document) to the upstream document, selects the operations listed in
spec/selection.json, and refreshes spec/upstream.json (the selected OpenAPI 3.1
fragment of the upstream document alone), spec/effective.json (the selected 3.1
fragment of upstream + overlay) and spec/openapi.json (the OpenAPI 3.0.3
translation of the effective fragment, read by build.rs), and records where the
document came from in spec/SOURCE.json (source, date, sha256 of its bytes).

Every overlay action must apply cleanly. One that is redundant (the source has
exactly what it adds: delete it), partly redundant (delete what the source has),
conflicting (the source has something different where it adds: reconcile) or
dangling (its target selects nothing: fix or delete it) is reported and stops
the refresh: nothing is written, exit 1.

options:
  --from PATH|URL   where to read the upstream document (default: https://api.elevenlabs.io/openapi.json)
  --date YYYY-MM-DD the date of the source document, recorded in spec/SOURCE.json. Needed
                    for a file spec/SOURCE.json does not record (other bytes); a URL is dated
                    by its fetch; the recorded document read from elsewhere keeps its record;
                    a trimmed fixture carries the record of the document it was trimmed from
  --check           write nothing; exit 1 if spec/ is out of date with the source
                    or an overlay action does not apply cleanly
  --spec-dir DIR    the spec directory (default: spec/ of this workspace)
  --out FILE        trim-fixture: where to write the source trimmed to what spec/selection.json
                    reaches (the selected operations and the schemas of the pruned closure,
                    as upstream has them, with and without the overlay): the committed
                    test fixture of the source
  -h, --help        print this help

exit codes: 0 success / up to date, 1 out of date (--check) or an overlay action
that does not apply cleanly (nothing written), 2 error (nothing written)";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Help,
    Refresh(Options),
    Trim(Options, PathBuf),
}

/// The workspace's `spec/` directory (this crate lives in `<workspace>/xtask`).
fn default_spec_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).join("spec")
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut iter = args.iter();
    let trim = match iter.next().map(String::as_str) {
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("refresh-spec") => false,
        Some("trim-fixture") => true,
        Some(other) => return Err(format!("unknown task `{other}`")),
        None => return Err("no task given".into()),
    };
    let mut out = None;
    let mut options = Options {
        source: Source::Url(DEFAULT_URL.into()),
        spec_dir: default_spec_dir(),
        check: false,
        date: None,
    };
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--check" if inline.is_none() => options.check = true,
            "--from" => options.source = Source::parse(&value("--from")?),
            "--spec-dir" => options.spec_dir = PathBuf::from(value("--spec-dir")?),
            "--date" => options.date = Some(value("--date")?),
            "--out" if trim => out = Some(PathBuf::from(value("--out")?)),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    match (trim, out) {
        (false, _) => Ok(Command::Refresh(options)),
        (true, Some(out)) if !options.check => Ok(Command::Trim(options, out)),
        (true, Some(_)) => Err("trim-fixture has no --check".into()),
        (true, None) => Err("trim-fixture needs --out FILE".into()),
    }
}

/// Prints a line to stdout; a closed pipe (`| head`) is not worth a panic.
fn say(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Prints a line to stderr, ignoring failures.
fn complain(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Command::Help) => {
            say(USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Refresh(options)) => options,
        Ok(Command::Trim(options, out)) => {
            return match xtask::trim_fixture(&options, &out) {
                Ok(()) => {
                    say(&format!("wrote {}", out.display()));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    complain(&format!("error: {e}"));
                    ExitCode::from(2)
                }
            };
        }
        Err(message) => {
            complain(&format!("error: {message}\n\n{USAGE}"));
            return ExitCode::from(2);
        }
    };
    match refresh(&options) {
        Ok(outcome) => {
            let indent =
                |lines: &[String]| -> String { lines.iter().map(|l| format!("\n  {l}")).collect() };
            let (lines, overlay) = (indent(&outcome.summary), indent(&outcome.overlay));
            match outcome.status {
                Status::UpToDate if options.check => {
                    say("spec/ is up to date");
                    ExitCode::SUCCESS
                }
                Status::UpToDate => {
                    say("spec/ unchanged");
                    ExitCode::SUCCESS
                }
                Status::OutOfDate => {
                    say(&format!("spec/ is out of date with the source:{lines}"));
                    ExitCode::from(1)
                }
                Status::Updated => {
                    say(&format!(
                        "spec/ updated from {}:{lines}",
                        options.source.describe()
                    ));
                    ExitCode::SUCCESS
                }
                Status::OverlayBlocked => {
                    say(&format!(
                        "spec/overlay.json does not apply cleanly to the source; nothing written:{overlay}"
                    ));
                    if !outcome.summary.is_empty() {
                        say(&format!("spec/ is out of date with the source:{lines}"));
                    }
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            complain(&format!("error: {e}"));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_flags() {
        let Ok(Command::Refresh(o)) = parse_args(&args(&[
            "refresh-spec",
            "--from",
            "x.json",
            "--check",
            "--spec-dir=d",
            "--date",
            "2026-09-16",
        ])) else {
            panic!("not parsed");
        };
        assert_eq!(o.source, Source::File("x.json".into()));
        assert_eq!(o.date.as_deref(), Some("2026-09-16"));
        assert!(o.check);
        assert_eq!(o.spec_dir, PathBuf::from("d"));
    }

    #[test]
    fn defaults() {
        let Ok(Command::Refresh(o)) = parse_args(&args(&["refresh-spec"])) else {
            panic!("not parsed");
        };
        assert_eq!(o.source, Source::Url(DEFAULT_URL.into()));
        assert!(!o.check);
        assert_eq!(o.date, None);
        assert!(o.spec_dir.ends_with("spec"));
    }

    #[test]
    fn help_and_errors() {
        assert_eq!(parse_args(&args(&["--help"])), Ok(Command::Help));
        assert_eq!(
            parse_args(&args(&["refresh-spec", "-h"])),
            Ok(Command::Help)
        );
        assert!(parse_args(&args(&[])).is_err());
        assert!(parse_args(&args(&["build"])).is_err());
        assert!(parse_args(&args(&["refresh-spec", "--frm", "x"])).is_err());
        assert!(parse_args(&args(&["refresh-spec", "--from"])).is_err());
    }

    #[test]
    fn trim_fixture_needs_out_and_has_no_check() {
        let Ok(Command::Trim(o, out)) =
            parse_args(&args(&["trim-fixture", "--from=x.json", "--out", "t.json"]))
        else {
            panic!("not parsed");
        };
        assert_eq!(o.source, Source::File("x.json".into()));
        assert_eq!(out, PathBuf::from("t.json"));
        assert!(!o.check);
        assert_eq!(
            parse_args(&args(&["trim-fixture"])),
            Err("trim-fixture needs --out FILE".into())
        );
        assert_eq!(
            parse_args(&args(&["trim-fixture", "--out", "t.json", "--check"])),
            Err("trim-fixture has no --check".into())
        );
        // `--out` belongs to trim-fixture only.
        assert_eq!(
            parse_args(&args(&["refresh-spec", "--out", "t.json"])),
            Err("unknown argument `--out`".into())
        );
    }

    #[test]
    fn only_long_options_take_inline_values_and_check_takes_none() {
        assert_eq!(
            parse_args(&args(&["refresh-spec", "--check=yes"])),
            Err("unknown argument `--check=yes`".into())
        );
        assert_eq!(
            parse_args(&args(&["refresh-spec", "-h=x"])),
            Err("unknown argument `-h=x`".into())
        );
    }
}
