//! Accept negotiation. TODO(echo helper).

use super::Format;

/// Chooses the format from the `Accept` values (every field line, in order).
pub fn negotiate<'a>(accept: impl Iterator<Item = &'a [u8]>) -> Format {
    let _ = accept;
    todo!()
}
