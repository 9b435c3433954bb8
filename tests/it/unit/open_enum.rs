//! `src/open_enum.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::types::ResourceAccessInfoRole as Role;
use std::collections::HashSet;

#[test]
fn a_known_value_is_always_its_typed_variant() {
    for (i, raw) in Role::KNOWN.iter().enumerate() {
        let v = Role::from(*raw);
        assert!(!v.is_unknown(), "{raw}");
        assert_eq!(v, raw.parse::<Role>().unwrap());
        assert_eq!(v, Role::from(raw.to_string()));
        assert_eq!(v, serde_json::from_value(serde_json::json!(raw)).unwrap());
        assert_eq!(v.as_str(), *raw);
        assert_eq!(
            i,
            Role::KNOWN.iter().position(|k| *k == v.as_str()).unwrap()
        );
    }
    // Equal values serialise equally, and equally serialised values are equal and hash
    // alike: one value per wire string.
    let all: Vec<Role> = ["admin", "editor", "owner", "owner", "Admin"]
        .into_iter()
        .map(Role::from)
        .collect();
    for a in &all {
        for b in &all {
            assert_eq!(a == b, a.as_str() == b.as_str(), "{a:?} {b:?}");
        }
    }
    let distinct: HashSet<&Role> = all.iter().collect();
    assert_eq!(distinct.len(), 4);
}

#[test]
fn an_unknown_value_keeps_its_raw_string() {
    let v: Role = serde_json::from_str(r#""Owner ü""#).unwrap();
    let Role::Unknown(raw) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(raw.as_str(), "Owner ü");
    assert_eq!(raw.to_string(), "Owner ü");
    assert_eq!(AsRef::<str>::as_ref(raw), "Owner ü");
    assert_eq!(v.to_string(), "Owner ü");
    assert_eq!(serde_json::to_string(&v).unwrap(), r#""Owner ü""#);
    assert_eq!(v, Role::from("Owner ü"));
}

#[test]
fn a_value_that_is_not_a_string_is_refused_saying_what_was_expected() {
    let err = serde_json::from_value::<Role>(serde_json::json!(5)).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a string value of ResourceAccessInfoRole"),
        "{err}"
    );
}
