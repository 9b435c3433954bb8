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
pub fn encode_cursor(seed: u64, scope: Option<&str>, key: u64) -> String {
    let key32 = key as u32;
    format!(
        "{key32:08x}{:016x}",
        cursor_mac(seed, scope, u64::from(key32))
    )
}

/// The key of a cursor issued by this server for this scope, or `None`.
pub fn decode_cursor(seed: u64, scope: Option<&str>, cursor: &str) -> Option<u64> {
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
pub fn read_cursor(
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
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The key of the last item when more follow: what the next cursor carries.
    pub next: Option<u64>,
    /// Every item of the listing.
    pub total: u64,
    /// The items before this page (on earlier pages).
    pub before: u64,
}

/// The page of at most `size` items after the cursor's key `after` (exclusive) of `items`,
/// `(key, item)` in strictly descending key order, newest first.
pub fn paginate<T>(
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
