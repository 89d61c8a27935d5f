//! The echo: the request as hostecho parsed it, rendered for whoever asked.
//!
//! TODO(echo helper): implement. Interface fixed below.

pub mod accept;
pub mod html;
pub mod json;
pub mod text;

use std::net::SocketAddr;

use crate::host::ValidHost;
use crate::http::request::Request;

/// The three renderings, chosen from `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; charset=utf-8` — the default, and what curl's `*/*` gets.
    Text,
    /// `application/json` — for scripts.
    Json,
    /// `text/html; charset=utf-8` — for browsers.
    Html,
}

impl Format {
    /// The `Content-Type` of this rendering.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Json => "application/json",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// Everything an echo shows: the request and what the server knows about it.
#[derive(Clone, Copy, Debug)]
pub struct Echo<'a> {
    /// The request, as framed.
    pub request: &'a Request,
    /// The host the policy validated.
    pub host: &'a ValidHost,
    /// The client's address.
    pub peer: SocketAddr,
    /// The accepting socket's address.
    pub local: SocketAddr,
    /// The path, percent-decoded.
    pub path: &'a str,
    /// The query pairs, decoded.
    pub query: &'a [(String, String)],
}

/// Renders the echo in the given format.
pub fn render(format: Format, echo: &Echo<'_>) -> Vec<u8> {
    match format {
        Format::Text => text::render(echo),
        Format::Json => json::render(echo),
        Format::Html => html::render(echo),
    }
}
