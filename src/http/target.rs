//! The request target (RFC 9112 §3.2) and what the echo shows of it.
//!
//! TODO(framing helper): implement. Interface fixed below.

/// The four forms a request target can take (RFC 9112 §3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// `/path?query` — what browsers and curl send to an origin server.
    Origin {
        /// The raw path, starting with `/`.
        path: &'a str,
        /// The raw query, without the `?`.
        query: Option<&'a str>,
    },
    /// `http://authority/path?query` — what clients send to a proxy (RFC 9112 §3.2.2).
    Absolute {
        /// The scheme, e.g. `http`.
        scheme: &'a str,
        /// The authority, `host[:port]`, with any userinfo left in so the Host policy can refuse it.
        authority: &'a str,
        /// The raw path; `/` when the target had none.
        path: &'a str,
        /// The raw query, without the `?`.
        query: Option<&'a str>,
    },
    /// `host:port` — only with `CONNECT` (RFC 9112 §3.2.3).
    Authority(&'a str),
    /// `*` — only with `OPTIONS` (RFC 9112 §3.2.4).
    Asterisk,
}

impl<'a> Target<'a> {
    /// Splits a raw target into its form and parts.
    pub fn parse(raw: &'a str) -> Target<'a> {
        let _ = raw;
        todo!()
    }

    /// The authority of an absolute-form target, which replaces Host (RFC 9112 §3.2.2).
    pub fn absolute_authority(&self) -> Option<&'a str> {
        todo!()
    }

    /// The path, percent-decoded (lossy UTF-8).
    pub fn decoded_path(&self) -> String {
        todo!()
    }

    /// The query pairs, decoded as `application/x-www-form-urlencoded`, in order, duplicates kept.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        todo!()
    }
}
