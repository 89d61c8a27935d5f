//! Finding the few bytes that need escaping, eight bytes at a time.
//!
//! Both text echoes copy the client's text in runs, stopping only at a byte that needs
//! escaping: a control character for the terminal ([`super::text`]), one of five
//! characters for HTML ([`super::html`]). Nearly every byte needs nothing, so nearly
//! all the work is *looking*, and a loop that looks at one byte at a time spends five
//! or six instructions on each: load it, compare it two or three times, branch, count.
//!
//! Reading eight bytes as one `u64` and asking the whole word "is any of your bytes
//! below 0x20?" or "is any of them `&`?" takes about as many instructions as asking
//! one byte did. This is SWAR, "SIMD within a register": the word's eight bytes are
//! eight lanes, and integer arithmetic works on all of them at once. The two questions
//! are classic bit tricks (Sean Eron Anderson's "Bit Twiddling Hacks", "Determine if a
//! word has a zero byte" and "… has a byte less than n"); [`any_below`] explains
//! them. Only *whether* a word holds such a byte is asked of the word: where it is,
//! [`find`] then asks byte by byte, within that word.
//!
//! A `Vec` of text is read as words without `unsafe`: `<[u8]>::as_chunks` hands out
//! `[u8; 8]` arrays, and `u64::from_ne_bytes` makes each a word (which end of the word
//! each byte lands in does not matter, since only "any" is asked). The standard
//! library's own `is_ascii` and UTF-8 check read words the same way.

/// The byte `0x01` in every lane: `LOW * n` is `n` in every lane.
const LOW: u64 = u64::from_ne_bytes([0x01; 8]);

/// The high bit of every lane.
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether any byte of `word` is below `n`, for `n` up to 0x80.
///
/// `word - LOW * n` subtracts `n` from every lane. A lane below `n` wraps around and
/// borrows: its high bit comes out set, where `n` ≤ 0x80 cannot set it in a lane that
/// was `n` or above, unless that lane's high bit was set already — which `& !word`
/// rules out. So the high bit of some lane is left in the result exactly when some
/// byte is below `n`. (A borrow can spill into the next lane up and make it look
/// below `n` too, but only when a lower lane already is: the answer to "any?" stays
/// right, which is all that is asked.)
pub(super) const fn any_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(LOW * n as u64) & !word & HIGH != 0
}

/// Whether any byte of `word` is `byte`: `word ^ LOW * byte` turns exactly those lanes
/// to zero, and a zero lane is one below 1.
pub(super) const fn any_equal(word: u64, byte: u8) -> bool {
    any_below(word ^ (LOW * byte as u64), 1)
}

/// Whether any byte of `word` is 0x80 or above: not ASCII.
pub(super) const fn any_non_ascii(word: u64) -> bool {
    word & HIGH != 0
}

/// Where the first byte of `bytes` for which `is_wanted` holds is, or `bytes.len()` if
/// there is none. `any_wanted` must say whether `is_wanted` holds for any byte of a
/// word: the words are skipped while it says no.
pub(super) fn find(
    bytes: &[u8],
    any_wanted: impl Fn(u64) -> bool,
    is_wanted: impl Fn(u8) -> bool,
) -> usize {
    let (words, tail) = bytes.as_chunks::<8>();
    let mut start = 0;
    for word in words {
        if any_wanted(u64::from_ne_bytes(*word)) {
            break;
        }
        start += 8;
    }
    // Every whole word was clean: the last few bytes that do not fill a word are
    // looked at as the last eight bytes of the text, overlapping the word before
    // them, rather than one by one. (Text shorter than a word has no such word.)
    if start == bytes.len() - tail.len()
        && let Some(last) = bytes.last_chunk::<8>()
        && !any_wanted(u64::from_ne_bytes(*last))
    {
        return bytes.len();
    }
    // Byte by byte from there: within the word that holds one, or the last bytes.
    let rest = bytes.get(start..).unwrap_or_default();
    match rest.iter().position(|&b| is_wanted(b)) {
        Some(i) => start + i,
        None => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Eight bytes as the word [`find`] reads.
    fn word(bytes: [u8; 8]) -> u64 {
        u64::from_ne_bytes(bytes)
    }

    #[test]
    fn any_below_is_exact_on_every_lane_and_threshold() {
        for lane in 0..8 {
            for n in 1..=0x80u8 {
                for b in [0, n - 1, n, 0x7f, 0x80, 0xff] {
                    // The other lanes hold `n`, never below it.
                    let mut bytes = [n; 8];
                    bytes[lane] = b;
                    assert_eq!(any_below(word(bytes), n), b < n, "{bytes:?} < {n}");
                }
            }
        }
    }

    /// [`find`] asks `is_wanted` only of the bytes after the last clean word: up to the
    /// wanted byte within its word, or every byte of a text shorter than a word; and,
    /// when a text of a word or more holds none, of no byte at all (the last bytes are
    /// looked at as a word). Asking byte by byte from the start would find the same
    /// place with up to eight times the work, which is what the words are for.
    #[test]
    fn find_looks_byte_by_byte_only_within_the_word_that_holds_one() {
        for len in 0..=40 {
            for wanted in (0..len).map(Some).chain([None]) {
                let mut bytes = vec![b'a'; len];
                if let Some(i) = wanted {
                    bytes[i] = b'!';
                }
                let asked = std::cell::Cell::new(0);
                let found = find(
                    &bytes,
                    |w| any_equal(w, b'!'),
                    |b| {
                        asked.set(asked.get() + 1);
                        b == b'!'
                    },
                );
                assert_eq!(found, wanted.unwrap_or(len), "{len} bytes");
                let expected = match wanted {
                    Some(i) => i % 8 + 1,
                    None if len < 8 => len,
                    None => 0,
                };
                assert_eq!(asked.get(), expected, "{len} bytes, wanted at {wanted:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn the_word_tests_agree_with_the_bytes(bytes in any::<[u8; 8]>(), n in 1..=0x80u8, b in any::<u8>()) {
            let w = word(bytes);
            prop_assert_eq!(any_below(w, n), bytes.iter().any(|&x| x < n));
            prop_assert_eq!(any_equal(w, b), bytes.contains(&b));
            prop_assert_eq!(any_non_ascii(w), !bytes.is_ascii());
        }

        #[test]
        fn find_agrees_with_position(bytes in proptest::collection::vec(any::<u8>(), 0..40), b in any::<u8>()) {
            let found = find(&bytes, |w| any_equal(w, b), |x| x == b);
            prop_assert_eq!(found, bytes.iter().position(|&x| x == b).unwrap_or(bytes.len()));
        }
    }
}
