//! Fuzzes the chunked decoder: `BodyDecoder` on arbitrary bytes, fed whole and in pieces.
//!
//! Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run chunked -- -max_total_time=60`,
//! or `scripts/fuzz.sh chunked 10` from the repository root.
//!
//! The connection hands the decoder whatever has been read past the head, keeps what it
//! did not use, appends the next read and calls again. So besides "never panics" this
//! checks what the connection relies on:
//!
//! * the outcome (the body, how many bytes were used, complete or not, or the error) is
//!   the same however the input is split into reads;
//! * the decoder never uses more than it was given, never produces more body than it
//!   used, and never more than its limit;
//! * once complete, it uses nothing more (what follows is the next request).
//!
//! Input layout: byte 0 picks the body limit, byte 1 says how many piece lengths
//! follow; those lengths (cycled) split the rest, which is the chunked body.

#![no_main]

use hostecho::error::RequestError;
use hostecho::http::framing::{BodyDecoder, BodyKind};
use libfuzzer_sys::fuzz_target;

/// What decoding a whole input came to.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// The body is complete after `used` bytes of input.
    Complete { body: Vec<u8>, used: usize },
    /// The input ran out first; `used` bytes were taken, the rest is an unfinished line.
    Partial { body: Vec<u8>, used: usize },
    /// The decoder refused the body.
    Refused(RequestError),
}

/// Decodes `input`, handing it over in pieces of the given lengths (cycled; the last
/// piece takes what is left), the way the connection does with its reads.
fn decode(input: &[u8], lengths: &[usize], max: u64) -> Outcome {
    let mut decoder = BodyDecoder::new(BodyKind::Chunked, max);
    let mut body = Vec::new();
    // Bytes handed over but not yet used, as the connection's read buffer holds them.
    let mut pending: Vec<u8> = Vec::new();
    let mut used = 0;
    let mut offered = 0;
    let mut lengths = lengths.iter().cycle();
    loop {
        let take = lengths.next().map_or(input.len() - offered, |&n| n);
        let end = offered.saturating_add(take).min(input.len());
        pending.extend_from_slice(&input[offered..end]);
        offered = end;
        let before = body.len();
        let progress = match decoder.decode(&pending, &mut body) {
            Ok(progress) => progress,
            Err(e) => return Outcome::Refused(e),
        };
        assert!(
            progress.consumed <= pending.len(),
            "used more than it was given"
        );
        assert!(
            body.len() - before <= progress.consumed,
            "more body than input"
        );
        assert!(body.len() as u64 <= max, "body past its limit");
        pending.drain(..progress.consumed);
        used += progress.consumed;
        if progress.complete {
            // Complete means complete: the next call uses nothing.
            let again = decoder.decode(&pending, &mut body);
            assert_eq!(
                again.map(|p| (p.consumed, p.complete)),
                Ok((0, true)),
                "a complete decoder used more"
            );
            return Outcome::Complete { body, used };
        }
        if offered == input.len() {
            return Outcome::Partial { body, used };
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [limit, count, rest @ ..] = data else {
        return;
    };
    // Limits from 0 to about 8 KiB, so the 413 edge is reached often.
    let max = u64::from(*limit) * 32;
    let count = usize::from(*count % 16).min(rest.len());
    let (lengths, input) = rest.split_at(count);
    // A zero-length piece is a read that brought nothing: allowed, and worth trying.
    let lengths: Vec<usize> = lengths.iter().map(|&n| usize::from(n)).collect();

    let whole = decode(input, &[], max);
    if let Outcome::Complete { body, used } | Outcome::Partial { body, used } = &whole {
        assert!(body.len() <= *used, "more body than input");
    }
    if !lengths.is_empty() && lengths.iter().any(|&n| n > 0) {
        let pieces = decode(input, &lengths, max);
        assert_eq!(whole, pieces, "splitting the input changed the outcome");
    }
    // One byte per read: the hardest split for a line-oriented parser.
    if input.len() <= 512 {
        assert_eq!(
            whole,
            decode(input, &[1], max),
            "byte-at-a-time changed the outcome"
        );
    }
});
