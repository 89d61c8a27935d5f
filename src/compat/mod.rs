//! What Django and Starlette would answer for the same Host and the same allow-list.
//!
//! hostecho's Host policy borrows its rules from Django's `ALLOWED_HOSTS` and
//! Starlette's `TrustedHostMiddleware`, and is stricter than both. `hostecho check
//! --compare` puts the three answers side by side, so a learner can see where they
//! differ. The two frameworks' rules are modelled here, each in its own small, pure
//! module that follows its library's code line by line:
//!
//! | module | models | checked against |
//! |---|---|---|
//! | [`django`] | `HttpRequest.get_host()` in Django 5.2 | Django 5.2.19 |
//! | [`starlette`] | `TrustedHostMiddleware` in Starlette 1.7 and later | Starlette 1.10.0 |
//!
//! The models are not trusted on their word: `tests/compat/` runs the real libraries
//! over a corpus of several thousand Host values and pattern lists and compares every
//! verdict and every message with these modules (through `hostecho check --compare`).
//!
//! # How the frameworks see a value
//!
//! Both read header values as text decoded from Latin-1, one character per byte:
//! PEP 3333 says so for WSGI (`environ["HTTP_HOST"]`), and Starlette's `Headers`
//! decodes the ASGI server's bytes with `latin-1`. So do the models ([`latin1`]): a
//! byte `0xe9` is the character `é` to both frameworks, whatever the client meant.
//!
//! A pattern one framework does not support is read the way that framework reads
//! the literal string: Django has no `*.x` (it is an exact compare with a string
//! that holds `*`, so it matches nothing), Starlette has no `.x` (an exact compare,
//! which a Host of `.x` matches), and neither has CIDR ranges or IDNA.

pub mod django;
mod request;
pub mod starlette;

use std::borrow::Cow;

pub use self::request::{Answers, answers, describe, verdict_parts};

/// One framework's answer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The request reaches the application.
    Allowed,
    /// The request is answered with an error (Django's `DisallowedHost`, Starlette's
    /// 400), with this message in the framework's own words.
    Refused(String),
    /// Starlette's `www_redirect`: the Host is not allowed, but `www.` and the Host
    /// is, so the client is sent there with a `307 Temporary Redirect` to this URL.
    Redirected(String),
}

impl Verdict {
    /// Whether the request reaches the application.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allowed)
    }

    /// Why the request does not reach the application, as the comparison reports it;
    /// `None` when it does.
    pub fn message(&self) -> Option<Cow<'_, str>> {
        match self {
            Verdict::Allowed => None,
            Verdict::Refused(message) => Some(Cow::Borrowed(message)),
            Verdict::Redirected(url) => {
                Some(Cow::Owned(format!("307 Temporary Redirect to {url}")))
            }
        }
    }

    /// One word for the verdict, as `hostecho check --compare` prints it.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Refused(_) => "refused",
            Verdict::Redirected(_) => "redirect",
        }
    }
}

/// Bytes as Python's `bytes.decode("latin-1")` gives them: each byte is the character
/// with the same number, so nothing is lost and nothing can fail.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// What Python's `str.lower()` gives, for the strings these models lower.
///
/// Rust's `to_lowercase` and Python's `lower` both apply Unicode's full lowercase
/// mapping, final sigma included, so they agree. The values lowered are Latin-1
/// (one character per byte), where that mapping is simply `A`–`Z` and `À`–`Þ` (but
/// `×`) to their small letters; only patterns can hold other characters.
pub(crate) fn py_lower(s: &str) -> String {
    s.to_lowercase()
}
