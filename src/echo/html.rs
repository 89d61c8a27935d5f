//! The html echo. TODO(echo helper).

use super::Echo;

/// Renders the echo as html.
pub fn render(echo: &Echo<'_>) -> Vec<u8> {
    let _ = echo;
    todo!()
}
