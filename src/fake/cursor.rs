//! Opaque, tamper-evident cursors: a position key and a fingerprint binding it to the server's
//! seed and to the listing's filters, so a cursor is only valid for the listing that issued it.
//!
//! Cursors carry a position (a creation-order key), not an offset: a page fetched after new
//! items were created continues where the previous one stopped, with no duplicates.
//!
//! [`paginate`] is the one cursor paginator of the fake's listings (tests, invocations).

use serde_json::Value;

use super::data::mix64;
use super::http::query_error;

/// The fingerprint that makes a cursor valid only for this data set and this filter.
fn cursor_mac(seed: u64, scope: Option<&str>, key: u64) -> u64 {
    // FNV-1a over the filter, then mixed with the seed and the key.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in scope.unwrap_or("\u{0}").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    mix64(seed ^ mix64(h ^ mix64(key)))
}

/// An opaque cursor: 24 hex digits, the key (32 bits) and a fingerprint of the scope.
pub(crate) fn encode_cursor(seed: u64, scope: Option<&str>, key: u64) -> String {
    let key32 = key as u32;
    format!(
        "{key32:08x}{:016x}",
        cursor_mac(seed, scope, u64::from(key32))
    )
}

/// The key of a cursor issued by this server for this scope, or `None`.
pub(crate) fn decode_cursor(seed: u64, scope: Option<&str>, cursor: &str) -> Option<u64> {
    if cursor.len() != 24 || !cursor.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let key = u64::from_str_radix(&cursor[..8], 16).ok()?;
    let mac = u64::from_str_radix(&cursor[8..], 16).ok()?;
    (mac == cursor_mac(seed, scope, key)).then_some(key)
}

/// The `cursor` query parameter of a listing, read: the key to continue after, `None` for the
/// first page (no or an empty cursor), or the 422 detail naming a cursor this server did not
/// issue for `scope` (`filters` says which filters, for the message).
pub(crate) fn read_cursor(
    seed: u64,
    scope: Option<&str>,
    cursor: Option<&str>,
    filters: &str,
) -> Result<Option<u64>, Value> {
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    decode_cursor(seed, scope, c).map(Some).ok_or_else(|| {
        query_error(
            "cursor",
            "value_error",
            format!(
                "Invalid cursor: it was not issued by this server for {filters}; pass \
                 next_cursor from the previous page unchanged"
            ),
            c,
            None,
        )
    })
}

/// One page of a listing.
#[derive(Debug, PartialEq)]
pub(crate) struct Page<T> {
    /// The page's items.
    pub(crate) items: Vec<T>,
    /// The key of the last item when more follow: what the next cursor carries.
    pub(crate) next: Option<u64>,
    /// Every item of the listing.
    pub(crate) total: u64,
    /// The items before this page (on earlier pages).
    pub(crate) before: u64,
}

/// The page of at most `size` items after the cursor's key `after` (exclusive) of `items`,
/// `(key, item)` in strictly descending key order, newest first.
pub(crate) fn paginate<T>(
    items: impl IntoIterator<Item = (u64, T)>,
    after: Option<u64>,
    size: usize,
) -> Page<T> {
    let mut page = Page {
        items: Vec::new(),
        next: None,
        total: 0,
        before: 0,
    };
    let mut last = None;
    let mut more = false;
    for (key, item) in items {
        page.total += 1;
        if after.is_some_and(|a| key >= a) {
            page.before += 1;
        } else if page.items.len() < size {
            page.items.push(item);
            last = Some(key);
        } else {
            more = true;
        }
    }
    page.next = last.filter(|_| more);
    page
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
