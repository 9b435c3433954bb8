//! Client configuration: API key, environments, timeouts, retries, user agent.

use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::{Client, Error, retry::RetryPolicy};

/// The header that carries the API key. The one place its name is written: the upstream
/// document declares it as a header parameter of every operation, which `cargo xtask
/// refresh-spec` removes from `spec/openapi.json` (the client adds the key itself, marked
/// sensitive), so the spec the crate is built from no longer has it. The client, its
/// request hook and the embedded fake read it from here.
pub const API_KEY_HEADER: &str = "xi-api-key";

/// Environment variable read by [`Client::from_env`] for the API key.
pub const API_KEY_ENV: &str = "ELEVENLABS_API_KEY";
/// Environment variable read by [`Client::from_env`] for the base URL.
pub const BASE_URL_ENV: &str = "ELEVENLABS_BASE_URL";
/// Default per-attempt timeout ([`ClientBuilder::timeout`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default timeout of a whole call, every attempt and wait between attempts included
/// ([`ClientBuilder::operation_timeout`]): 2 minutes.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(120);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// ElevenLabs API environments, as the official SDKs name them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Environment {
    /// `https://api.elevenlabs.io`, routed to the closest region.
    #[default]
    Production,
    /// `https://api.us.elevenlabs.io`.
    Us,
    /// `https://api.eu.residency.elevenlabs.io` (EU data residency).
    Eu,
    /// `https://api.in.residency.elevenlabs.io` (India data residency).
    India,
    /// `https://api.sg.residency.elevenlabs.io` (Singapore data residency).
    Singapore,
}

impl Environment {
    /// Every environment, in documentation order.
    ///
    /// A slice, not an array: a region added later (the enum is `#[non_exhaustive]`) does not
    /// change its type.
    ///
    /// ```
    /// use elevenlabs_agent_tests::Environment;
    /// let all: &'static [Environment] = Environment::ALL;
    /// assert!(all.contains(&Environment::Eu));
    /// ```
    pub const ALL: &'static [Environment] = &[
        Self::Production,
        Self::Us,
        Self::Eu,
        Self::India,
        Self::Singapore,
    ];

    /// The environment's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Production => "https://api.elevenlabs.io",
            Self::Us => "https://api.us.elevenlabs.io",
            Self::Eu => "https://api.eu.residency.elevenlabs.io",
            Self::India => "https://api.in.residency.elevenlabs.io",
            Self::Singapore => "https://api.sg.residency.elevenlabs.io",
        }
    }

    /// The short name used by [`FromStr`](std::str::FromStr): `production`, `us`, `eu`, `in`, `sg`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Us => "us",
            Self::Eu => "eu",
            Self::India => "in",
            Self::Singapore => "sg",
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let lower = s.to_ascii_lowercase();
        let found = match lower.as_str() {
            "production" | "prod" => Some(Self::Production),
            "us" => Some(Self::Us),
            "eu" => Some(Self::Eu),
            "in" | "india" => Some(Self::India),
            "sg" | "singapore" => Some(Self::Singapore),
            _ => None,
        };
        found.ok_or_else(|| Error::Config {
            message: format!(
                "unknown environment {s:?}; expected one of production, us, eu, in, sg"
            ),
        })
    }
}

/// An API key. Its `Debug` and `Display` never show it, only what helps you recognise which
/// key it is: its first 3 characters (the `sk_` of an ElevenLabs key) and its last 4, and
/// only for keys long enough (20 characters or more) that this reveals little; a shorter
/// key shows as `…` alone.
///
/// ```
/// use elevenlabs_agent_tests::config::ApiKey;
/// let key = ApiKey::new("sk_0123456789abcdef0123456789abcdef");
/// assert_eq!(key.to_string(), "sk_…cdef");
/// assert_eq!(format!("{key:?}"), "ApiKey(sk_…cdef)");
/// assert_eq!(ApiKey::new("short").to_string(), "…");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The secret itself; use only to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The redacted form shown in logs and `Debug` output: `sk_…cdef` (first 3 and last 4
    /// characters) for a key of 20 characters or more, `…` for a shorter one.
    pub fn redacted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() >= 20 {
            let first3: String = chars[..3].iter().collect();
            let last4: String = chars[chars.len() - 4..].iter().collect();
            format!("{first3}…{last4}")
        } else {
            "…".to_owned()
        }
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({})", self.redacted())
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Per-client settings that the request hook reads (progenitor's "inner" value).
#[derive(Clone, Debug)]
pub struct ClientState {
    pub(crate) retry: RetryPolicy,
    pub(crate) api_key: Option<ApiKey>,
    /// The key as the `xi-api-key` header value, marked sensitive; the `pre` hook adds it to
    /// every request (a client brought by the caller has no default headers).
    pub(crate) key_header: Option<HeaderValue>,
    pub(crate) attempt_timeout: Duration,
    pub(crate) operation_timeout: Duration,
}

impl Default for ClientState {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            api_key: None,
            key_header: None,
            attempt_timeout: DEFAULT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
        }
    }
}

impl ClientState {
    /// The timeout of one attempt; the `pre` hook sets it on every request.
    pub fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }

    /// The timeout of a whole call, every attempt and wait included.
    pub fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// The retry policy of this client.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The (redacted-on-print) API key of this client, if any.
    pub fn api_key(&self) -> Option<&ApiKey> {
        self.api_key.as_ref()
    }
}

/// Builds a [`Client`]; see [`Client::builder`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    endpoint: Endpoint,
    timeout: Duration,
    operation_timeout: Duration,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            endpoint: Endpoint::Environment(Environment::default()),
            timeout: DEFAULT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            connect_timeout: None,
            retry: RetryPolicy::default(),
            user_agent: None,
            http_client: None,
        }
    }
}

/// Where requests go: one setting, written by [`ClientBuilder::environment`] and
/// [`ClientBuilder::base_url`]; the last one called wins.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Endpoint {
    Environment(Environment),
    Url(String),
}

/// `elevenlabs-agent-tests/<crate version>`.
pub fn default_user_agent() -> String {
    concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_owned()
}

impl ClientBuilder {
    /// A builder with the key from `ELEVENLABS_API_KEY` and the base URL from
    /// `ELEVENLABS_BASE_URL` when set (as [`Client::from_env`]), to change more settings.
    ///
    /// ```
    /// # use elevenlabs_agent_tests::ClientBuilder;
    /// // Without ELEVENLABS_API_KEY the error says which variable to set.
    /// if std::env::var_os("ELEVENLABS_API_KEY").is_none() {
    ///     let err = ClientBuilder::from_env().unwrap_err();
    ///     assert!(err.to_string().contains("ELEVENLABS_API_KEY"));
    /// }
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        builder_from_vars(|name| std::env::var(name))
    }

    /// The API key, sent as the `xi-api-key` header (marked sensitive).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// One of the ElevenLabs environments (default: production). The environment and
    /// [`base_url`](Self::base_url) are one setting, where requests go: the last one set wins.
    ///
    /// ```
    /// use elevenlabs_agent_tests::{Client, Environment};
    /// let client = Client::builder()
    ///     .base_url("http://127.0.0.1:8080")
    ///     .environment(Environment::Eu)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.base_url(), "https://api.eu.residency.elevenlabs.io");
    /// ```
    pub fn environment(mut self, environment: Environment) -> Self {
        self.endpoint = Endpoint::Environment(environment);
        self
    }

    /// An explicit base URL (a proxy, a fake server, ...). The base URL and
    /// [`environment`](Self::environment) are one setting: the last one set wins.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Endpoint::Url(url.into());
        self
    }

    /// Timeout of one attempt, from sending the request to reading the whole body
    /// (default [`DEFAULT_TIMEOUT`], 60 s). A timed-out attempt is retried like a transport
    /// error; see also [`ClientBuilder::operation_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout of a whole call (one `.send()`, one page of a listing): every attempt and every
    /// wait between attempts included (default [`DEFAULT_OPERATION_TIMEOUT`], 2 minutes).
    ///
    /// When it elapses during an attempt, the attempt is abandoned and the call fails with
    /// [`Error::OperationTimeout`]; when the wait before the next attempt would end after it,
    /// the client does not wait and hands back the last failure (a failed response as
    /// [`Error::Api`] whose `stopped` is [`StopReason::OperationTimeout`]). Without it, the defaults
    /// allow 3 attempts of 60 s plus up to 60 s `Retry-After` waits: about 5 minutes.
    /// Zero is refused by [`ClientBuilder::build`].
    ///
    /// [`Error::OperationTimeout`]: crate::Error::OperationTimeout
    /// [`Error::Api`]: crate::Error::Api
    /// [`StopReason::OperationTimeout`]: crate::retry::StopReason::OperationTimeout
    ///
    /// ```
    /// use std::time::Duration;
    /// use elevenlabs_agent_tests::{Client, config::DEFAULT_OPERATION_TIMEOUT};
    ///
    /// let client = Client::builder().build().unwrap();
    /// assert_eq!(client.state().operation_timeout(), DEFAULT_OPERATION_TIMEOUT);
    /// let client = Client::builder()
    ///     .timeout(Duration::from_secs(10))           // each attempt
    ///     .operation_timeout(Duration::from_secs(25)) // the whole call
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.state().operation_timeout(), Duration::from_secs(25));
    /// ```
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Timeout of establishing a connection (default [`DEFAULT_CONNECT_TIMEOUT`], 10 s). A
    /// setting of the HTTP client: refused together with [`ClientBuilder::http_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sends every request with `http` instead of a client built by this crate: your proxies,
    /// root certificates, connection pool shared with the rest of your program, ...
    ///
    /// The crate still adds the API key to every request (as the sensitive `xi-api-key`
    /// header), the per-attempt [`timeout`](ClientBuilder::timeout) (on each request; a
    /// request timeout overrides the client's), retries and the operation timeout. The
    /// user agent and the connect timeout are settings of `http` then: setting
    /// [`user_agent`](ClientBuilder::user_agent) or
    /// [`connect_timeout`](ClientBuilder::connect_timeout) as well is refused by
    /// [`build`](ClientBuilder::build).
    ///
    /// With the `rustls` feature and no other TLS set-up in your program, build `http` after
    /// a client of this crate, or install a rustls crypto provider first (see the README).
    ///
    /// ```
    /// use elevenlabs_agent_tests::Client;
    /// # Client::builder().build().unwrap(); // installs the rustls provider for reqwest
    /// let http = reqwest::Client::builder()
    ///     .user_agent("my-app/1.0")
    ///     .pool_max_idle_per_host(4)
    ///     .build()
    ///     .unwrap();
    /// let client = Client::builder()
    ///     .api_key("sk_0123456789abcdef0123456789abcdef")
    ///     .http_client(http)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.base_url(), "https://api.elevenlabs.io");
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http_client = Some(http);
        self
    }

    /// The retry policy (default: 3 attempts for idempotent requests).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header (default: `elevenlabs-agent-tests/<version>`). A setting of the
    /// HTTP client: refused together with [`ClientBuilder::http_client`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Builds the client, checking the settings.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = match &self.endpoint {
            Endpoint::Environment(environment) => environment.base_url(),
            Endpoint::Url(url) => url,
        };
        let base_url = check_base_url(base_url, self.api_key.is_some())?;
        if self.operation_timeout.is_zero() {
            return Err(config_error(
                "ClientBuilder::operation_timeout must be longer than zero",
            ));
        }
        if self.retry.max_attempts() == 0 {
            return Err(config_error(
                "RetryPolicy::with_max_attempts must be at least 1 (1 disables retries)",
            ));
        }

        let key_header = match &self.api_key {
            Some(key) => {
                let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
                    config_error("the API key contains characters not allowed in an HTTP header")
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let http = match self.http_client {
            Some(http) => {
                let client_settings = [
                    ("user_agent", self.user_agent.is_some()),
                    ("connect_timeout", self.connect_timeout.is_some()),
                ];
                if let Some((name, _)) = client_settings.iter().find(|(_, set)| *set) {
                    return Err(config_error(format!(
                        "ClientBuilder::{name} cannot apply to a reqwest::Client passed to \
                         ClientBuilder::http_client; set it on that client's builder instead"
                    )));
                }
                http
            }
            // The key is not a default header: the `pre` hook adds it to every request, the
            // one place it is set, whichever `reqwest::Client` sends.
            None => http_client_builder()
                .user_agent(self.user_agent.unwrap_or_else(default_user_agent))
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))?,
        };
        let state = ClientState {
            retry: self.retry,
            api_key: self.api_key,
            key_header,
            attempt_timeout: self.timeout,
            operation_timeout: self.operation_timeout,
        };
        Ok(Client::new_with_client(&base_url, http, state))
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::Config {
        message: message.into(),
    }
}

/// Validates a base URL and returns it without a trailing `/`. A key is never sent over
/// plain HTTP except to a loopback host.
fn check_base_url(url: &str, has_key: bool) -> Result<String, Error> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| config_error(format!("base URL {url:?} is not a valid URL: {e}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if has_key && !loopback {
                return Err(config_error(format!(
                    "refusing to send the API key over plain http:// to {}; use https:// \
                     (plain http is allowed only for loopback hosts such as 127.0.0.1)",
                    parsed.host_str().unwrap_or("")
                )));
            }
        }
        other => {
            return Err(config_error(format!(
                "base URL {url:?} has scheme {other:?}; expected http or https"
            )));
        }
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// A `reqwest::ClientBuilder` with the crate's TLS provider installed.
#[doc(hidden)]
pub fn http_client_builder() -> reqwest::ClientBuilder {
    #[cfg(feature = "rustls")]
    {
        // Another provider installed by the application first is fine too.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
}

impl Client {
    /// A client for `base_url` with default settings and no API key.
    ///
    /// `base_url` is **not checked**: this is the constructor progenitor's generated clients
    /// have, and it returns a `Client`, not a `Result`. A base URL that is not an `http(s)`
    /// URL is only found out when a request is sent: every request then fails with
    /// [`Error::Transport`] (a request that cannot be built). Use [`Client::builder`] to have
    /// it checked up front.
    ///
    /// ```
    /// let client = elevenlabs_agent_tests::Client::new("https://api.elevenlabs.io");
    /// assert_eq!(client.base_url(), "https://api.elevenlabs.io");
    /// ```
    pub fn new(base_url: &str) -> Self {
        let http = http_client_builder()
            .user_agent(default_user_agent())
            .timeout(DEFAULT_TIMEOUT)
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .build()
            // Only TLS back-end initialisation can fail here, and that is a broken build.
            .expect("building the HTTP client with default settings");
        Self::new_with_client(base_url.trim_end_matches('/'), http, ClientState::default())
    }

    /// A builder for a configured client, every setting checked by
    /// [`build`](ClientBuilder::build).
    ///
    /// ```
    /// use elevenlabs_agent_tests::{Client, Error};
    /// let client = Client::builder().base_url("https://api.elevenlabs.io/").build().unwrap();
    /// assert_eq!(client.base_url(), "https://api.elevenlabs.io");
    /// let err = Client::builder().base_url("api.elevenlabs.io").build().unwrap_err();
    /// assert!(matches!(err, Error::Config { .. }), "{err}");
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: the key from `ELEVENLABS_API_KEY`, the base
    /// URL from `ELEVENLABS_BASE_URL` when set (production otherwise). To change more
    /// settings, start from [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The base URL requests go to, without a trailing `/`.
    ///
    /// ```
    /// use elevenlabs_agent_tests::{Client, Environment};
    /// let client = Client::builder().environment(Environment::Eu).build().unwrap();
    /// assert_eq!(client.base_url(), "https://api.eu.residency.elevenlabs.io");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.baseurl
    }

    /// The settings the request hook reads.
    pub fn state(&self) -> &ClientState {
        &self.inner
    }
}

/// [`ClientBuilder::from_env`] over any source of variables (the process environment in
/// production, a map in tests).
#[doc(hidden)]
pub fn builder_from_vars(
    var: impl Fn(&str) -> Result<String, std::env::VarError>,
) -> Result<ClientBuilder, Error> {
    let mut builder = Client::builder();
    match var(API_KEY_ENV) {
        Ok(key) if !key.trim().is_empty() => builder = builder.api_key(key.trim()),
        Ok(_) | Err(std::env::VarError::NotPresent) => {
            return Err(config_error(format!(
                "{API_KEY_ENV} is not set; create a key at https://elevenlabs.io/app/settings/api-keys"
            )));
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(config_error(format!("{API_KEY_ENV} is not valid UTF-8")));
        }
    }
    match var(BASE_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => builder = builder.base_url(url.trim()),
        Ok(_) | Err(std::env::VarError::NotPresent) => {}
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(config_error(format!("{BASE_URL_ENV} is not valid UTF-8")));
        }
    }
    Ok(builder)
}
