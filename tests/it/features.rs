//! The `fake` feature turns on only what the fake server uses: a crate that enables it for its
//! tests must not get tokio's macros or multi-threaded runtime forced on its normal build.

/// The features `fake` enables, as written in `Cargo.toml` (a one-line array).
fn fake_feature() -> Vec<String> {
    feature("fake")
}

/// The features feature `name` enables, as written in `Cargo.toml` (a one-line array).
fn feature(name: &str) -> Vec<String> {
    let manifest = include_str!("../../Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name} =")))
        .expect("Cargo.toml defines the feature on one line");
    let list = line.split_once('=').unwrap().1.trim();
    let list = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .expect("the feature is a one-line array");
    list.split(',')
        .map(|f| f.trim().trim_matches('"').to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

#[test]
fn fake_enables_only_the_tokio_features_the_fake_uses() {
    let tokio: Vec<String> = fake_feature()
        .into_iter()
        .filter(|f| f.starts_with("tokio/"))
        .collect();
    // The fake listens on a TcpListener (net) and spawns tasks and sleeps (rt, time: already
    // on for the client itself). No #[tokio::main], no select!, no multi-threaded runtime.
    assert_eq!(tokio, ["tokio/net"]);
}

#[test]
fn the_fake_module_needs_no_tokio_macros_or_runtime_builder() {
    let sources = [
        include_str!("../../src/fake/mod.rs"),
        include_str!("../../src/fake/server.rs"),
        include_str!("../../src/fake/faults.rs"),
        include_str!("../../src/fake/data.rs"),
    ];
    for source in sources {
        // Doc examples (`//!`, `///`) and unit tests (`#[cfg(test)]`, at the end of a file) are
        // compiled with the dev-dependencies, not the feature.
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for needle in [
            "select!",
            "join!",
            "#[tokio::",
            "runtime::Builder",
            "new_multi_thread",
        ] {
            assert!(
                !code.contains(needle),
                "the fake uses {needle}: add the tokio feature it needs to `fake` in Cargo.toml"
            );
        }
    }
}

#[test]
fn cli_adds_the_program_dependencies_and_no_tokio_macros() {
    let cli = feature("cli");
    assert!(
        cli.contains(&"fake".to_owned()),
        "the no-key mode needs the fake"
    );
    let tokio: Vec<&str> = cli
        .iter()
        .filter_map(|f| f.strip_prefix("tokio/"))
        .collect();
    // The program builds its current-thread runtime by hand (no #[tokio::main]); `fake`
    // serves until SIGINT or SIGTERM. (`test-build-reuse` turns on more, for the test build
    // only: see the next test.)
    assert_eq!(tokio, ["rt", "net", "time", "signal"]);
    let main = include_str!("../../src/bin/elevenlabs-tests/main.rs");
    assert!(main.contains("new_current_thread()"));
    assert!(!main.contains("#[tokio::"));
    // Library users do not build the CLI's dependencies: each is optional, behind `cli`.
    let manifest = include_str!("../../Cargo.toml");
    for dep in [
        "clap",
        "clap_complete",
        "indicatif",
        "quick-junit",
        "comfy-table",
        "plotters",
    ] {
        assert!(cli.contains(&format!("dep:{dep}")), "cli enables {dep}");
        let line = manifest
            .lines()
            .find(|l| l.starts_with(&format!("{dep} =")))
            .unwrap_or_else(|| panic!("{dep} is a dependency"));
        assert!(line.contains("optional = true"), "{line}");
    }
    // plotters without its default features (fonts, bitmaps): only the SVG backend.
    let plotters = manifest
        .lines()
        .find(|l| l.starts_with("plotters ="))
        .unwrap();
    assert!(plotters.contains("default-features = false") && plotters.contains("svg_backend"));
}

#[test]
fn only_cli_turns_on_the_test_build_pins() {
    // `test-build-reuse` turns on what the suite's dev-dependencies turn on in shared crates
    // (tokio's macros and test-util among them) so that the test build reuses the program's.
    // Library users, with or without `fake`, never get it.
    let pins = "test-build-reuse".to_owned();
    assert!(feature("cli").contains(&pins));
    for name in ["default", "rustls", "fake"] {
        assert!(!feature(name).contains(&pins), "{name} turns on {pins}");
    }
    assert!(feature(&pins).contains(&"tokio/test-util".to_owned()));
}
