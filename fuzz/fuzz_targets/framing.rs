//! Fuzzes framing: `parse_head` and `BodyDecoder` on arbitrary bytes.
//!
//! Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run framing -- -max_total_time=60`.
//!
//! Besides "never panics", it checks the contract the connection relies on: a prefix of
//! the input (cut where the first input byte says) is answered "partial" or exactly as
//! the whole input is, a complete head never claims more bytes than it was given, and
//! decoding the body in two pieces gives the same body as decoding it whole.

#![no_main]

use hostecho::http::framing::{self, BodyDecoder, Limits};
use libfuzzer_sys::fuzz_target;

/// Small limits, so the fuzzer reaches the 414/431/413 edges quickly.
const LIMITS: Limits = Limits {
    max_header_bytes: 512,
    max_headers: 8,
    max_body_bytes: 1024,
    echo_body_bytes: 64,
};

/// Decodes `input` fed in two pieces split at `split`; returns the body, or None on error.
fn decode_split(decoder: &BodyDecoder, input: &[u8], split: usize) -> Option<Vec<u8>> {
    let mut decoder = decoder.clone();
    let mut body = Vec::new();
    let mut pending = input[..split].to_vec();
    for next in [&input[split..], &[][..]] {
        let progress = decoder.decode(&pending, &mut body).ok()?;
        assert!(progress.consumed <= pending.len());
        if progress.complete {
            return Some(body);
        }
        pending.drain(..progress.consumed);
        pending.extend_from_slice(next);
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Some((&split_seed, data)) = data.split_first() else {
        return;
    };
    let parsed = framing::parse_head(data, &LIMITS);
    // A head arrives in reads: what a prefix of it says must be "not yet" or the final
    // answer, whatever the prefix, so that the answer never depends on the reads.
    let cut = usize::from(split_seed) * data.len() / 256;
    let early = framing::parse_head(&data[..cut], &LIMITS);
    if early != Ok(None) {
        assert_eq!(
            early, parsed,
            "a prefix of {cut} bytes answered differently"
        );
    }
    let Ok(Some((framed, used))) = parsed else {
        return;
    };
    assert!(used <= data.len());
    let rest = &data[used..];
    let decoder = BodyDecoder::new(framed.body, LIMITS.max_body_bytes);
    let whole = decode_split(&decoder, rest, rest.len());
    let split = usize::from(split_seed) % (rest.len() + 1);
    let pieces = decode_split(&decoder, rest, split);
    assert_eq!(whole, pieces, "decoding in pieces changed the outcome");
    if let Some(body) = &whole {
        assert!(body.len() as u64 <= LIMITS.max_body_bytes);
    }
});
