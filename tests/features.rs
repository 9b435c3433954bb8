//! The `fake` feature turns on only what the fake server uses: a crate that enables it for its
//! tests must not get tokio's macros or multi-threaded runtime forced on its normal build.

/// The features `fake` enables, as written in `Cargo.toml` (a one-line array).
fn fake_feature() -> Vec<String> {
    let manifest = include_str!("../Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("fake ="))
        .expect("Cargo.toml defines the `fake` feature on one line");
    let list = line.split_once('=').unwrap().1.trim();
    let list = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .expect("the `fake` feature is a one-line array");
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
        include_str!("../src/fake/mod.rs"),
        include_str!("../src/fake/server.rs"),
        include_str!("../src/fake/faults.rs"),
        include_str!("../src/fake/data.rs"),
    ];
    for source in sources {
        // Doc examples (`//!`, `///`) are compiled with the dev-dependencies, not the feature.
        let code: String = source
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
