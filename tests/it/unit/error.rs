//! `src/error.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::error::*;
use elevenlabs_agent_tests::retry::StopReason;

fn api(status: u16) -> Error {
    let mut response = http::Response::new(bytes::Bytes::from_static(b"m"));
    *response.status_mut() = reqwest::StatusCode::from_u16(status).unwrap();
    Error::api(response, None, StopReason::NotRetryable)
}

#[test]
fn each_refusal_says_what_to_do() {
    for (status, hint) in [
        (401, "check the API key"),
        (403, "lacks the permission"),
        (429, "rate limited"),
        (503, "the service failed"),
    ] {
        let text = api(status).to_string();
        assert!(text.contains(hint), "{status}: {text}");
    }
    assert_eq!(api(404).to_string(), "the API answered 404 Not Found: m");
}

#[test]
fn the_api_message_is_read_from_each_body_shape() {
    for (body, code, message) in [
        (
            r#"{"detail": {"status": "invalid_api_key", "message": "Invalid key"}}"#,
            Some("invalid_api_key"),
            "Invalid key",
        ),
        (r#"{"detail": "Not found"}"#, None, "Not found"),
        (
            r#"{"code": "busy", "message": "Try later"}"#,
            Some("busy"),
            "Try later",
        ),
        (r#"[1, 2]"#, None, "[1, 2]"),
        ("<html>bad gateway</html>", None, "<html>bad gateway</html>"),
        ("  ", None, "(empty body)"),
    ] {
        let (c, m) = api_message(body.as_bytes());
        assert_eq!((c.as_deref(), m.as_str()), (code, message), "{body}");
    }
}

#[test]
fn a_pagination_error_is_the_source() {
    let e = PaginationError::MissingCursor { page: 2 };
    let err = Error::from(e.clone());
    let source = std::error::Error::source(&err).expect("a source");
    assert_eq!(source.downcast_ref::<PaginationError>(), Some(&e));
    assert!(std::error::Error::source(&api(500)).is_none());
}

#[test]
fn a_payload_of_another_type_is_located_by_line_and_column() {
    use elevenlabs_agent_tests::types::GetTestSuiteInvocationResponseModel as Invocation;
    // One line: the listing's type also fails on line 1, at another column.
    let body = br#"{"id": "inv_1", "created_at": 1, "test_runs": 7}"#;
    let e = serde_json::from_slice::<Invocation>(body).unwrap_err();
    let column = e.column();
    match Error::decode_any(body, &e) {
        Error::Decode { path, message, .. } => {
            assert_eq!(path, format!("line 1 column {column}"));
            assert!(
                message.starts_with("invalid type: integer `7`"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_excerpt_is_taken_where_a_long_body_fails() {
    use elevenlabs_agent_tests::types::GetTestInvocationsPageResponseModel as Page;
    let filler: String = (0..40)
        .map(|i| format!("  \"x-filler-{i:02}\": \"{}\",\n", "-".repeat(20)))
        .collect();
    let body = format!("{{\n{filler}  \"has_more\": \"no\",\n  \"results\": []\n}}");
    match Error::decode::<Page>(body.as_bytes()) {
        Some(Error::Decode { path, excerpt, .. }) => {
            assert_eq!(path, "has_more");
            assert!(excerpt.contains(r#""has_more": "no""#), "{excerpt}");
            assert!(
                excerpt.starts_with('…') && !excerpt.contains("x-filler-00"),
                "{excerpt}"
            );
            assert!(excerpt.ends_with('}'), "the end is shown: {excerpt}");
        }
        other => panic!("{other:?}"),
    }
    // Failing at the start: cut at the end only.
    let body = format!("{{\"has_more\": \"no\",\n{filler}  \"results\": []\n}}");
    match Error::decode::<Page>(body.as_bytes()) {
        Some(Error::Decode { excerpt, .. }) => {
            assert!(excerpt.starts_with(r#"{"has_more": "no""#), "{excerpt}");
            assert!(excerpt.ends_with('…'), "{excerpt}");
            assert_eq!(excerpt.chars().count(), EXCERPT_CHARS + 1, "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn byte_offsets_of_serde_positions() {
    let body = b"{\n  \"a\": x\n}";
    let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
    assert_eq!((e.line(), e.column()), (2, 8));
    assert_eq!(body[byte_offset(body, e.line(), e.column())], b'x');
    assert_eq!(byte_offset(body, 1, 1), 0);
    assert_eq!(byte_offset(body, 3, 1), body.len() - 1);
    // Past the end (an EOF error, or a line the body does not have): the length.
    assert_eq!(byte_offset(body, 3, 5), body.len());
    assert_eq!(byte_offset(body, 9, 1), body.len());
}

#[test]
fn decode_names_the_field_and_quotes_the_body() {
    use elevenlabs_agent_tests::types::GetTestInvocationsPageResponseModel as Page;
    let body = br#"{"has_more": false, "results": [{"id": 7}]}"#;
    match Error::decode::<Page>(body) {
        Some(Error::Decode {
            path,
            message,
            excerpt,
        }) => {
            assert_eq!(path, "results[0].id");
            assert!(
                message.starts_with("invalid type: integer `7`"),
                "{message}"
            );
            assert!(excerpt.contains(r#"{"id": 7}"#), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    assert!(Error::decode::<Page>(br#"{"has_more": false, "results": []}"#).is_none());
    // Trailing garbage after a valid page is an error at the top level.
    match Error::decode::<Page>(br#"{"has_more": false, "results": []} x"#) {
        Some(Error::Decode { path, .. }) => assert_eq!(path, "(top level)"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_builder_refusal_states_the_range_of_that_operation_s_parameter_only() {
    let message = |op, name| match Error::invalid_builder_field(op, name, "builder's") {
        Error::InvalidParameter { message, .. } => message,
        other => panic!("{other:?}"),
    };
    let range = "must be within 1..=100 (the API's limit); the value given is not";
    assert_eq!(message("list_tests", "page_size"), range);
    // No range for it in this operation (another operation's does not count).
    assert_eq!(message("get_test_invocation", "page_size"), "builder's");
    assert_eq!(message("list_tests", "cursor"), "builder's");
}

#[test]
fn an_unexpected_error_is_not_called_a_configuration_error() {
    let err = Error::Unexpected {
        message: "boom".into(),
    };
    let text = err.to_string();
    assert!(!text.contains("configuration"), "{text}");
    assert!(text.contains("boom") && text.contains("report"), "{text}");
}
