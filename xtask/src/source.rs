//! Where the upstream document comes from: a file or an http(s) URL, and its validation.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::error::Error;

/// The live ElevenLabs OpenAPI document.
pub const DEFAULT_URL: &str = "https://api.elevenlabs.io/openapi.json";

/// A place to read the upstream OpenAPI document from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file.
    File(PathBuf),
    /// An `http://` or `https://` URL.
    Url(String),
}

impl Source {
    /// Interprets a `--from` argument: http(s) URLs are URLs, anything else is a path.
    pub fn parse(arg: &str) -> Source {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Source::Url(arg.to_owned())
        } else {
            Source::File(PathBuf::from(arg))
        }
    }

    /// How the source is named in messages.
    pub fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Url(u) => u.clone(),
        }
    }

    /// Reads the file or performs the HTTP GET, returning the body text.
    pub fn fetch(&self) -> Result<String, Error> {
        match self {
            Source::File(path) => std::fs::read_to_string(path).map_err(|e| Error::Read {
                origin: self.describe(),
                reason: e.to_string(),
            }),
            Source::Url(url) => http_get(url),
        }
    }
}

impl Default for Source {
    fn default() -> Self {
        Source::Url(DEFAULT_URL.to_owned())
    }
}

/// The error and its chain of causes, joined with `: `.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !text.contains(&c_text) {
            text.push_str(": ");
            text.push_str(&c_text);
        }
        cause = c.source();
    }
    text
}

fn http_get(url: &str) -> Result<String, Error> {
    let read_err = |reason: String| Error::Read {
        origin: url.to_owned(),
        reason,
    };
    // rustls is built without a default provider (no aws-lc-sys): install ring. A second
    // install attempt (provider already set) is not an error for us.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // reqwest's async client on a one-thread runtime: its `blocking` feature would be turned
    // on for the main crate too whenever the workspace is built together (see Cargo.toml's
    // `test-build-reuse`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| read_err(format!("cannot start an async runtime: {e}")))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(20))
            .user_agent(concat!(
                "elevenlabs-agent-tests-xtask/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| read_err(error_chain(&e)))?;
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|e| read_err(error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(read_err(format!("HTTP status {status}")));
        }
        response.text().await.map_err(|e| read_err(error_chain(&e)))
    })
}

/// Parses the source text and checks that it is an OpenAPI 3.1 or 3.0 document with `paths`.
pub fn parse_document(text: &str, origin: &str) -> Result<Value, Error> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::NotJson {
        origin: origin.to_owned(),
        reason: e.to_string(),
    })?;
    let not_openapi = |reason: &str| Error::NotOpenApi {
        origin: origin.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(obj) = doc.as_object() else {
        return Err(not_openapi("the top level is not an object"));
    };
    let version = match obj.get("openapi") {
        None => return Err(not_openapi("no `openapi` field")),
        Some(Value::String(v)) => v.clone(),
        Some(_) => return Err(not_openapi("`openapi` is not a string")),
    };
    if !is_supported_version(&version) {
        return Err(Error::UnsupportedVersion {
            origin: origin.to_owned(),
            version,
        });
    }
    match obj.get("paths") {
        Some(Value::Object(_)) => Ok(doc),
        Some(_) => Err(not_openapi("`paths` is not an object")),
        None => Err(not_openapi("no `paths` field")),
    }
}

/// `3.1`, `3.1.x`, `3.0`, `3.0.x`.
pub fn is_supported_version(version: &str) -> bool {
    ["3.0", "3.1"]
        .iter()
        .any(|v| version == *v || version.strip_prefix(v).is_some_and(|r| r.starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_source_argument() {
        assert_eq!(
            Source::parse("https://x.test/o.json"),
            Source::Url("https://x.test/o.json".into())
        );
        assert_eq!(
            Source::parse("HTTP://x.test/o.json"),
            Source::Url("HTTP://x.test/o.json".into())
        );
        assert_eq!(
            Source::parse("../o.json"),
            Source::File(PathBuf::from("../o.json"))
        );
        assert_eq!(Source::default(), Source::Url(DEFAULT_URL.into()));
    }

    #[test]
    fn versions() {
        assert!(is_supported_version("3.1.0"));
        assert!(is_supported_version("3.0.3"));
        assert!(is_supported_version("3.1"));
        assert!(!is_supported_version("3.10.0"));
        assert!(!is_supported_version("2.0"));
        assert!(!is_supported_version("3.2.0"));
    }

    #[test]
    fn rejects_non_json() {
        let e = parse_document("<html>", "x").unwrap_err();
        assert!(matches!(e, Error::NotJson { .. }), "{e}");
    }

    #[test]
    fn rejects_non_openapi() {
        let e = parse_document(r#"{"swagger": "2.0", "paths": {}}"#, "x").unwrap_err();
        assert!(e.to_string().contains("no `openapi` field"), "{e}");
        let e = parse_document(r#"{"openapi": "3.1.0"}"#, "x").unwrap_err();
        assert!(e.to_string().contains("no `paths` field"), "{e}");
        let e = parse_document("[1]", "x").unwrap_err();
        assert!(matches!(e, Error::NotOpenApi { .. }), "{e}");
    }

    #[test]
    fn rejects_other_versions() {
        let e = parse_document(r#"{"openapi": "2.0", "paths": {}}"#, "x").unwrap_err();
        assert!(matches!(e, Error::UnsupportedVersion { .. }), "{e}");
    }

    #[test]
    fn accepts_3_1() {
        assert!(parse_document(r#"{"openapi": "3.1.0", "paths": {}}"#, "x").is_ok());
    }

    /// Serves one HTTP response on loopback; the URL to fetch it.
    fn serve_once(response: &'static str) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!(
            "http://{}/openapi.json",
            listener.local_addr().expect("addr")
        );
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        url
    }

    #[test]
    fn fetches_a_url() {
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-length: 15\r\nconnection: close\r\n\r\n{\"openapi\": 1}\n",
        );
        assert_eq!(Source::Url(url).fetch().unwrap(), "{\"openapi\": 1}\n");
    }

    #[test]
    fn an_error_status_is_a_read_error_naming_it() {
        let url =
            serve_once("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let e = Source::Url(url.clone()).fetch().unwrap_err();
        assert_eq!(
            e.to_string(),
            Error::Read {
                origin: url,
                reason: "HTTP status 404 Not Found".into()
            }
            .to_string()
        );
    }

    #[test]
    fn a_refused_connection_gives_the_causes() {
        // A port just closed: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind loopback")
            .port();
        let e = Source::Url(format!("http://127.0.0.1:{port}/o.json"))
            .fetch()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("error sending request") && e.contains("onnect"),
            "{e}"
        );
    }

    #[derive(Debug)]
    struct Chain(&'static str, Option<Box<Chain>>);

    impl std::fmt::Display for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Chain {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|c| c as _)
        }
    }

    #[test]
    fn error_chain_joins_causes_not_already_said() {
        let e = Chain(
            "request failed: refused",
            Some(Box::new(Chain(
                "refused",
                Some(Box::new(Chain("os error 111", None))),
            ))),
        );
        assert_eq!(error_chain(&e), "request failed: refused: os error 111");
    }

    #[test]
    fn unreadable_file() {
        let e = Source::File(PathBuf::from("/definitely/not/here.json"))
            .fetch()
            .unwrap_err();
        assert!(matches!(e, Error::Read { .. }), "{e}");
    }
}
