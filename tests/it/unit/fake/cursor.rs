//! `src/fake/cursor.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::fake::cursor::*;

#[test]
fn pages_continue_after_the_cursor_s_key() {
    let items = || (0..5u64).rev().map(|k| (k * 10, k));
    let first = paginate(items(), None, 2);
    assert_eq!(first.items, [4, 3]);
    assert_eq!((first.next, first.total, first.before), (Some(30), 5, 0));
    let second = paginate(items(), first.next, 2);
    assert_eq!(second.items, [2, 1]);
    assert_eq!((second.next, second.before), (Some(10), 2));
    let last = paginate(items(), second.next, 2);
    assert_eq!(last.items, [0]);
    assert_eq!((last.next, last.total, last.before), (None, 5, 4));
    // An exact fit has no next page.
    let all = paginate(items(), None, 5);
    assert_eq!((all.items.len(), all.next), (5, None));
    // A key between items: the page starts at the next lower one.
    assert_eq!(paginate(items(), Some(25), 1).items, [2]);
    let none = paginate(Vec::<(u64, u8)>::new(), None, 3);
    assert_eq!((none.items, none.next, none.total), (vec![], None, 0));
}

#[test]
fn a_cursor_parameter_is_read_or_refused() {
    assert_eq!(read_cursor(1, None, None, "x"), Ok(None));
    assert_eq!(read_cursor(1, None, Some(""), "x"), Ok(None));
    let c = encode_cursor(1, Some("s"), 7);
    assert_eq!(read_cursor(1, Some("s"), Some(&c), "x"), Ok(Some(7)));
    let refused = read_cursor(1, Some("t"), Some(&c), "these filters").unwrap_err();
    assert_eq!(refused["loc"], serde_json::json!(["query", "cursor"]));
    assert!(
        refused["msg"]
            .as_str()
            .unwrap()
            .contains("for these filters;"),
        "{refused}"
    );
}

#[test]
fn cursor_round_trips_and_is_bound_to_filter_and_seed() {
    let c = encode_cursor(42, Some("agent_a"), 30);
    assert_eq!(c.len(), 24);
    assert_eq!(decode_cursor(42, Some("agent_a"), &c), Some(30));
    assert_eq!(decode_cursor(42, Some("agent_b"), &c), None);
    assert_eq!(decode_cursor(42, None, &c), None);
    assert_eq!(decode_cursor(43, Some("agent_a"), &c), None);
    let mut garbled = c.clone().into_bytes();
    garbled[3] = if garbled[3] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        decode_cursor(42, Some("agent_a"), std::str::from_utf8(&garbled).unwrap()),
        None
    );
    assert_eq!(decode_cursor(42, None, "not a cursor"), None);
    // Hex digits only, but too short to hold a key and a fingerprint.
    assert_eq!(decode_cursor(42, None, "abc"), None);
    assert_eq!(decode_cursor(42, Some("agent_a"), &c[..23]), None);
    assert_eq!(decode_cursor(42, None, "ééééééééééééé"), None);
}

#[test]
fn a_cursor_is_refused_for_every_other_filter() {
    let scopes: Vec<String> = ('0'..='9')
        .chain('A'..='Z')
        .chain('_'..='z')
        .map(|c| format!("agent_{c}"))
        .collect();
    for a in &scopes {
        let c = encode_cursor(7, Some(a), 30);
        for b in scopes.iter().filter(|b| *b != a) {
            assert_eq!(decode_cursor(7, Some(b), &c), None, "{a} vs {b}");
        }
    }
}
