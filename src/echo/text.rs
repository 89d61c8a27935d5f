//! The text echo. TODO(echo helper).

use super::Echo;

/// Renders the echo as text.
pub fn render(echo: &Echo<'_>) -> Vec<u8> {
    let _ = echo;
    todo!()
}
