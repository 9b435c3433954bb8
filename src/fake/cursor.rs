//! Opaque, tamper-evident cursors: a position key and a fingerprint binding it to the server's
//! seed and to the listing's filters, so a cursor is only valid for the listing that issued it.
//!
//! Cursors carry a position (a creation-order key), not an offset: a page fetched after new
//! items were created continues where the previous one stopped, with no duplicates.

use super::data::mix64;

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

#[cfg(test)]
mod tests {
    use super::*;

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
