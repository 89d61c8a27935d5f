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

pub use self::request::{Answers, answers, describe, verdict_parts};

/// One framework's answer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request would reach the application.
    pub allowed: bool,
    /// Why not, in the framework's own words; `None` when allowed.
    pub message: Option<String>,
}

impl Verdict {
    /// The request reaches the application.
    pub fn allowed() -> Verdict {
        Verdict {
            allowed: true,
            message: None,
        }
    }

    /// The request is refused (or redirected) with this message.
    pub fn refused(message: impl Into<String>) -> Verdict {
        Verdict {
            allowed: false,
            message: Some(message.into()),
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
