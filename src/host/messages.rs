//! The sentences a refused request gets back, and how a client's bytes are made safe
//! to quote in them.
//!
//! They follow Django's wording, so a learner can search for them, and they are always
//! printable ASCII: the raw value is escaped byte by byte and cut at
//! [`MAX_ECHOED_BYTES`], because Host can be 8 KiB of a client's choosing and the
//! message goes into a response and a log line (log injection, response splitting).

use super::HostSource;
use super::syntax::Host;

/// How much of a client's raw value a rejection message echoes before `...`.
pub const MAX_ECHOED_BYTES: usize = 256;

/// How the refusal of a request without Host begins; `check --from-log` reads it back.
pub const MISSING_HOST: &str = "missing Host header: ";

/// How the refusal of a request with two or more Host lines begins; `check
/// --from-log` reads it back.
pub const DUPLICATE_HOST: &str = "duplicate Host header: ";

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectionKind {
    /// HTTP/1.1 without a Host header.
    Missing,
    /// More than one Host field line.
    Duplicate,
    /// An empty value: `Host:`, `GET http:///x`, an empty `X-Forwarded-Host` or
    /// `Forwarded: host=""`.
    Empty,
    /// A value that is not `host[:port]`.
    InvalidSyntax,
    /// A valid host that no pattern allows.
    NotAllowed,
}

/// A refusal: always answered with 400. `message` is safe to put in a response or a
/// log line: control bytes and non-ASCII in the raw value are escaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The kind of refusal.
    pub kind: RejectionKind,
    /// Where the refused value came from; `None` when there was no value to read
    /// (HTTP/1.1 without Host).
    pub source: Option<HostSource>,
    /// The sentence sent back and logged, Django-style.
    pub message: String,
    /// The likely cause and its fix, when the request shows one ([`super::hint`]).
    pub hint: Option<super::Hint>,
    /// What Django and Starlette would answer, with `--compare`.
    pub compared: Option<Box<crate::compat::Answers>>,
}

impl Rejection {
    /// The refusal's body: Django's sentence, then the hint on a line of its own
    /// beginning `hint:`, when there is one.
    pub fn body_text(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{}\nhint: {hint}", self.message),
            None => self.message.clone(),
        }
    }

    /// The refusal as one log line: the sentence, the hint, and with `--compare`
    /// what Django and Starlette would have answered. Every part is printable ASCII
    /// or escaped, so the line cannot be split or forged by a client.
    pub fn log_line(&self) -> String {
        let mut line = self.message.clone();
        if let Some(hint) = &self.hint {
            line.push_str(" hint: ");
            line.push_str(&hint.to_string());
        }
        if let Some(answers) = &self.compared {
            line.push_str(&format!(
                " django: {} starlette: {}",
                crate::compat::describe(&answers.django),
                crate::compat::describe(&answers.starlette)
            ));
        }
        line
    }
}

/// Names the value's source after the quoted value, when it is not the Host header:
/// a newcomer who sees `Invalid HTTP_HOST header: 'evil.example'` while their Host
/// says `localhost` needs to be told the value came from somewhere else.
fn from(source: HostSource) -> String {
    match source {
        HostSource::Host => String::new(),
        other => format!(" (from {})", other.describe()),
    }
}

impl Rejection {
    pub(super) fn missing() -> Rejection {
        Rejection {
            hint: None,
            compared: None,
            kind: RejectionKind::Missing,
            source: None,
            message: format!(
                "{MISSING_HOST}HTTP/1.1 requests must carry exactly one Host header \
                 (RFC 9112, section 3.2)."
            ),
        }
    }

    pub(super) fn duplicate(count: usize) -> Rejection {
        Rejection {
            hint: None,
            compared: None,
            kind: RejectionKind::Duplicate,
            source: Some(HostSource::Host),
            message: format!(
                "{DUPLICATE_HOST}the request has {count} Host field lines, and a \
                 request may carry only one, even when the values are equal \
                 (RFC 9112, section 3.2)."
            ),
        }
    }

    /// One wording for every empty value, wherever it came from: Django's sentence,
    /// which people search for, and the rule it breaks.
    pub(super) fn empty(source: HostSource) -> Rejection {
        Rejection {
            hint: None,
            compared: None,
            kind: RejectionKind::Empty,
            source: Some(source),
            message: format!(
                "Invalid HTTP_HOST header: ''{}. The host is empty, and a request for an \
                 http URI must name one (RFC 9110, section 4.2.1).",
                from(source)
            ),
        }
    }

    pub(super) fn invalid(raw: &[u8], source: HostSource) -> Rejection {
        Rejection {
            hint: None,
            compared: None,
            kind: RejectionKind::InvalidSyntax,
            source: Some(source),
            message: format!(
                "Invalid HTTP_HOST header: '{}'{}. The domain name provided is not valid \
                 according to RFC 1034/1035.",
                escape_for_message(raw),
                from(source)
            ),
        }
    }

    pub(super) fn invalid_forwarded(line: &[u8], reason: &str) -> Rejection {
        Rejection {
            hint: None,
            compared: None,
            kind: RejectionKind::InvalidSyntax,
            source: Some(HostSource::Forwarded),
            message: format!(
                "Invalid Forwarded header: '{}'. It does not follow RFC 7239, section 4: \
                 {reason}.",
                escape_for_message(line)
            ),
        }
    }

    pub(super) fn not_allowed(raw: &[u8], host: &Host<'_>, source: HostSource) -> Rejection {
        Rejection {
            hint: None,
            compared: None,
            kind: RejectionKind::NotAllowed,
            source: Some(source),
            message: format!(
                "Invalid HTTP_HOST header: '{}'{}. You may need to add '{host}' to \
                 --allowed-hosts.",
                escape_for_message(raw),
                from(source)
            ),
        }
    }
}

/// A client's bytes, made safe to put in a response or a log line: every byte that
/// is not printable ASCII (and `'`, `"`, `\`) is escaped as Rust would write it
/// (`\r`, `\n`, `\x00`, `\xc3`), and at most [`MAX_ECHOED_BYTES`] bytes are shown,
/// followed by `...` when there were more.
pub fn escape_for_message(raw: &[u8]) -> String {
    let shown = &raw[..raw.len().min(MAX_ECHOED_BYTES)];
    let mut out: String = shown
        .iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect();
    if raw.len() > MAX_ECHOED_BYTES {
        out.push_str("...");
    }
    out
}
