//! Decoding a body as it arrives: a `Content-Length` count, or the chunked coding.
//!
//! The head has said how the body is delimited ([`BodyKind`]); the decoder takes exactly
//! that many bytes from whatever has been read past the head, removes the chunked
//! coding if there is one, and stops at the first byte of the next request. It never
//! needs the whole body at once, and never reserves memory for a size a client merely
//! announced.

use super::BodyKind;
use crate::error::{Malformed, RequestError};
use crate::http::grammar::{is_tchar, quoted_string_len, skip_ows, token_len};

/// The longest chunk-size line accepted, extensions and CRLF included.
///
/// A chunk extension (`5;name=value`) has no length limit in the grammar, and its
/// line must be buffered whole before it can be parsed; without a bound, a client could
/// make the server buffer an endless "line". Real extensions are a few bytes.
pub const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// The largest trailer section accepted, in bytes, final empty line included.
///
/// Trailer fields are header fields sent after a chunked body (RFC 9112 §7.1.2).
/// hostecho checks their syntax and drops them, but still has to buffer each line, so
/// the section is bounded like a head is. Over this, the request is malformed.
pub const MAX_TRAILER_BYTES: usize = 8192;

/// Progress reported by [`BodyDecoder::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// How many bytes of the input were used; the caller drops them from its buffer.
    pub consumed: usize,
    /// Whether the body is complete.
    pub complete: bool,
}

/// Decodes a body incrementally, as its bytes arrive.
///
/// Give it whatever has been read past the head; it takes what it can, reports how
/// much, and remembers where it is, so the next call continues with the bytes the
/// caller kept plus the newly read ones. It never takes a byte past the end of the body:
/// what follows is the next pipelined request.
///
/// The chunked coding (RFC 9112 §7.1):
///
/// ```text
/// chunked-body   = *chunk
///                  last-chunk
///                  trailer-section
///                  CRLF
/// chunk          = chunk-size [ chunk-ext ] CRLF
///                  chunk-data CRLF
/// chunk-size     = 1*HEXDIG
/// last-chunk     = 1*("0") [ chunk-ext ] CRLF
/// ```
///
/// A chunk-size line is only used once whole, checked against the grammar of its
/// extensions, which are then ignored (`chunk_size_line`), so a partial line is left
/// in the caller's buffer. A size may have at most 16 hex digits, leading zeros
/// included. Chunk data
/// is copied as it arrives; the decoder never reserves memory for a size the client
/// merely announced.
#[derive(Clone, Debug)]
pub struct BodyDecoder {
    kind: BodyKind,
    max: u64,
    /// How many decoded bytes are appended to the caller's body; the rest are counted
    /// and dropped ([`BodyDecoder::keeping`]).
    keep: u64,
    /// Decoded bytes so far, checked against `max`.
    decoded: u64,
    /// Where in the body the next byte belongs.
    state: DecodeState,
}

/// Where a [`BodyDecoder`] is in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DecodeState {
    /// Content-Length: this many bytes still to come.
    Length { remaining: u64 },
    /// Chunked: expecting a chunk-size line.
    ChunkSize,
    /// Chunked: inside a chunk's data, this many bytes still to come.
    ChunkData { remaining: u64 },
    /// Chunked: expecting the CRLF that ends a chunk's data.
    ChunkDataEnd,
    /// Chunked: after the last chunk, reading trailer lines; `seen` bytes of them so far.
    Trailers { seen: usize },
    /// The body is complete.
    Done,
}

impl BodyDecoder {
    /// A decoder for a body of this kind, refusing to grow past `max` decoded bytes.
    pub fn new(kind: BodyKind, max: u64) -> BodyDecoder {
        let state = match kind {
            BodyKind::None => DecodeState::Done,
            BodyKind::Length(remaining) => DecodeState::Length { remaining },
            BodyKind::Chunked => DecodeState::ChunkSize,
        };
        BodyDecoder {
            kind,
            max,
            keep: u64::MAX,
            decoded: 0,
            state,
        }
    }

    /// The same decoder, appending only the body's first `keep` bytes to the caller's
    /// body and counting the rest ([`BodyDecoder::decoded`]) without keeping them: the
    /// echo shows a large body's first bytes, so those are all a connection holds of
    /// it, however large the body (up to `max`) the client sends.
    pub fn keeping(mut self, keep: usize) -> BodyDecoder {
        self.keep = keep as u64;
        self
    }

    /// How many bytes of the body have been decoded so far, kept or not: its whole
    /// length once complete.
    pub fn decoded(&self) -> u64 {
        self.decoded
    }

    /// The kind of body this decoder was made for.
    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Uses what it can of `input`, appending decoded bytes to `body` (up to the first
    /// [`keeping`](BodyDecoder::keeping) bytes of the body; the rest are counted, not
    /// kept).
    ///
    /// Returns how many bytes of `input` it used and whether the body is complete.
    /// `complete: false` means "send more": the unused bytes (a partial chunk-size or
    /// trailer line, say) must be passed again, followed by new ones. Once complete,
    /// further calls use nothing and report complete again.
    ///
    /// Errors: [`RequestError::BodyTooLarge`] as soon as a `Content-Length` or a chunk
    /// size would take the body past `max` (before copying it);
    /// [`RequestError::Malformed`] for a bad chunk-size line, a chunk not followed by
    /// CRLF, or a bad or oversized trailer section.
    pub fn decode(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<Decoded, RequestError> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match self.state {
                DecodeState::Done => {
                    return Ok(Decoded {
                        consumed: pos,
                        complete: true,
                    });
                }
                DecodeState::Length { remaining } => {
                    self.check_room(remaining)?;
                    let (taken, remaining) = self.copy(rest, remaining, body);
                    pos += taken;
                    if remaining > 0 {
                        self.state = DecodeState::Length { remaining };
                        return Ok(partial_after(pos));
                    }
                    self.state = DecodeState::Done;
                }
                DecodeState::ChunkSize => {
                    let Some((line_len, size)) = chunk_size_line(rest)? else {
                        return Ok(partial_after(pos));
                    };
                    pos += line_len;
                    if size == 0 {
                        self.state = DecodeState::Trailers { seen: 0 };
                    } else {
                        self.check_room(size)?;
                        self.state = DecodeState::ChunkData { remaining: size };
                    }
                }
                DecodeState::ChunkData { remaining } => {
                    let (taken, remaining) = self.copy(rest, remaining, body);
                    pos += taken;
                    if remaining > 0 {
                        self.state = DecodeState::ChunkData { remaining };
                        return Ok(partial_after(pos));
                    }
                    self.state = DecodeState::ChunkDataEnd;
                }
                DecodeState::ChunkDataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = DecodeState::ChunkSize;
                    }
                    [] | [b'\r'] => return Ok(partial_after(pos)),
                    // The data was longer than its size said: the client and we no
                    // longer agree where the chunk ends, so nothing after it can be
                    // trusted.
                    _ => return Err(RequestError::Malformed(Malformed::ChunkDataOverrun)),
                },
                DecodeState::Trailers { seen } => {
                    let budget = MAX_TRAILER_BYTES.saturating_sub(seen);
                    let line_len = match find_line(rest, budget) {
                        Ok(Some(line_len)) => line_len,
                        Ok(None) => return Ok(partial_after(pos)),
                        Err(()) => {
                            return Err(RequestError::Malformed(Malformed::TrailerTooLarge {
                                limit: MAX_TRAILER_BYTES,
                            }));
                        }
                    };
                    let Some(field) = rest[..line_len].strip_suffix(b"\r\n") else {
                        return Err(RequestError::Malformed(Malformed::TrailerLineEnding));
                    };
                    pos += line_len;
                    if field.is_empty() {
                        // The empty line that ends the chunked body.
                        self.state = DecodeState::Done;
                    } else if is_field_line(field) {
                        self.state = DecodeState::Trailers {
                            seen: seen + line_len,
                        };
                    } else {
                        return Err(RequestError::Malformed(Malformed::TrailerField));
                    }
                }
            }
        }
    }

    /// Refuses a body that would pass `max` once `more` further bytes are decoded.
    fn check_room(&self, more: u64) -> Result<(), RequestError> {
        if more > self.max.saturating_sub(self.decoded) {
            return Err(RequestError::BodyTooLarge { limit: self.max });
        }
        Ok(())
    }

    /// Takes up to `remaining` bytes of `input`, appending those that are still within
    /// the bytes kept to `body`; returns how many it took and how many remain.
    fn copy(&mut self, input: &[u8], remaining: u64, body: &mut Vec<u8>) -> (usize, u64) {
        // The counts are at most `input.len()`, so they fit in a usize.
        let take = remaining.min(input.len() as u64) as usize;
        let kept = self.keep.saturating_sub(self.decoded).min(take as u64) as usize;
        body.extend_from_slice(&input[..kept]);
        self.decoded += take as u64;
        (take, remaining - take as u64)
    }
}

/// `complete: false` after using `consumed` bytes.
fn partial_after(consumed: usize) -> Decoded {
    Decoded {
        consumed,
        complete: false,
    }
}

/// The length of the line at the start of `input`, LF included: `Ok(None)` if its LF
/// has not arrived yet, `Err(())` if it is not within the first `max` bytes.
fn find_line(input: &[u8], max: usize) -> Result<Option<usize>, ()> {
    let searched = &input[..input.len().min(max)];
    match searched.iter().position(|&b| b == b'\n') {
        Some(lf) => Ok(Some(lf + 1)),
        None if input.len() >= max => Err(()),
        None => Ok(None),
    }
}

/// Parses the chunk-size line at the start of `input`: `Ok(Some((line length, size)))`,
/// or `Ok(None)` if the whole line has not arrived yet.
///
/// ```text
/// chunk-size [ chunk-ext ] CRLF
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// chunk-ext-name = token
/// chunk-ext-val  = token / quoted-string
/// ```
///
/// The whole line is checked against that grammar (RFC 9112 §7.1, §7.1.1) before the
/// size is used, and a well-formed extension is then ignored, as the RFC says a
/// recipient must do with one it does not understand. Anything else is refused:
/// `5;` (no name), `5;bad[=x` (not a token), `5;` and a NUL, `5 ` (whitespace with no
/// extension after it). This is where smuggling research keeps finding desyncs: a
/// front end that skips to the CRLF and a back end that stops at the odd byte (or the
/// reverse) disagree on where the chunk's data starts. httparse's `parse_chunk_size`
/// skips any extension bytes, so the line is read here instead.
fn chunk_size_line(input: &[u8]) -> Result<Option<(usize, u64)>, RequestError> {
    let line_len = match find_line(input, MAX_CHUNK_LINE_BYTES) {
        Ok(Some(line_len)) => line_len,
        Ok(None) => return Ok(None),
        Err(()) => {
            return Err(RequestError::Malformed(Malformed::ChunkLineTooLong {
                limit: MAX_CHUNK_LINE_BYTES,
            }));
        }
    };
    let line = &input[..line_len];
    let shown = || line.escape_ascii().to_string();
    let bad_size = || RequestError::Malformed(Malformed::InvalidChunkSize(shown()));
    // The line is whole and ends in its only LF, which must follow a CR.
    let Some(content) = line.strip_suffix(b"\r\n") else {
        return Err(bad_size());
    };
    let digits = content.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    // At least one hex digit (an empty size would read as 0 and end the body early),
    // and at most 16, leading zeros included, so that the size fits a u64 however it
    // is written.
    if digits == 0 || digits > MAX_CHUNK_SIZE_DIGITS {
        return Err(bad_size());
    }
    let (size, extensions) = content.split_at(digits);
    if !is_chunk_ext(extensions) {
        // An extension that breaks the grammar (`5;`, `5 ;bad[`, or `5 `: the
        // whitespace before an extension that never came), or a size followed by
        // something that is not an extension at all (`5 5`, `5x`).
        return Err(RequestError::Malformed(
            if skip_ows(extensions).first().is_none_or(|&b| b == b';') {
                Malformed::InvalidChunkExtension(shown())
            } else {
                Malformed::InvalidChunkSize(shown())
            },
        ));
    }
    // Hex digits only, at most 16 of them: the parse cannot fail, and the error arm
    // only spares an `unwrap`.
    let size = std::str::from_utf8(size)
        .ok()
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(bad_size)?;
    Ok(Some((line_len, size)))
}

/// The most hex digits a chunk size may have, leading zeros included: 16 fit a u64.
const MAX_CHUNK_SIZE_DIGITS: usize = 16;

/// Whether `ext`, everything between a chunk size and its CRLF, is `chunk-ext`
/// (RFC 9112 §7.1.1): nothing at all, or one or more `;name` or `;name=value`, with
/// optional whitespace (BWS) around the `;` and the `=` but nowhere else.
fn is_chunk_ext(mut rest: &[u8]) -> bool {
    while !rest.is_empty() {
        let Some(after) = skip_ows(rest).strip_prefix(b";") else {
            return false;
        };
        let name = skip_ows(after);
        let name_len = token_len(name);
        if name_len == 0 {
            return false;
        }
        rest = &name[name_len..];
        if let Some(after) = skip_ows(rest).strip_prefix(b"=") {
            let value = skip_ows(after);
            let value_len = match value.first() {
                Some(b'"') => quoted_string_len(value).unwrap_or(0),
                _ => token_len(value),
            };
            if value_len == 0 {
                return false;
            }
            rest = &value[value_len..];
        }
    }
    true
}

/// Whether `line` (without its CRLF) is a field line: `field-name ":" OWS field-value
/// OWS` (RFC 9112 §5), with a token for the name and no control characters but HTAB in
/// the value. A line starting with whitespace (obs-fold) has no valid name.
fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    !name.is_empty()
        && name.iter().all(|&b| is_tchar(b))
        && value.iter().all(|&b| b == b'\t' || b >= 0x20 && b != 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::framing::test_support::*;

    #[test]
    fn decodes_a_length_body_and_leaves_the_next_request() {
        /// Content-Length, input, complete, body, bytes taken.
        type Case<'a> = (u64, &'a [u8], bool, &'a [u8], usize);
        let cases: &[Case<'_>] = &[
            (0, b"GET", true, b"", 0),
            (5, b"hello", true, b"hello", 5),
            (5, b"helloGET / HTTP/1.1", true, b"hello", 5),
            (5, b"hel", false, b"hel", 3),
            (5, b"", false, b"", 0),
        ];
        for (length, input, complete, body, taken) in cases {
            let got = decode_whole(BodyKind::Length(*length), 100, input);
            let want = (Ok(*complete), body.to_vec(), *taken);
            assert_eq!(got, want, "{length} {input:?}");
        }
        assert_eq!(
            decode_whole(BodyKind::None, 100, b"GET"),
            (Ok(true), vec![], 0)
        );
        for cut in 0..=5 {
            let got = decode_in_pieces(BodyKind::Length(5), 100, b"helloX", &[cut]);
            assert_eq!(got, (Ok(true), b"hello".to_vec(), 5));
        }
    }

    #[test]
    fn a_complete_decoder_uses_nothing_more() {
        let mut decoder = BodyDecoder::new(BodyKind::Length(2), 10);
        let mut body = Vec::new();
        assert_eq!(
            decoder.decode(b"ab", &mut body),
            Ok(Decoded {
                consumed: 2,
                complete: true
            })
        );
        assert_eq!(
            decoder.decode(b"cd", &mut body),
            Ok(Decoded {
                consumed: 0,
                complete: true
            })
        );
        assert_eq!(body, b"ab");
        assert_eq!(decoder.kind(), BodyKind::Length(2));
    }

    #[test]
    fn decodes_chunked_bodies() {
        type Case<'a> = (&'a [u8], Result<bool, RequestError>, &'a [u8], usize);
        let cases: &[Case<'_>] = &[
            (b"0\r\n\r\n", Ok(true), b"", 5),
            (b"000\r\n\r\n", Ok(true), b"", 7),
            (b"5\r\nhello\r\n0\r\n\r\n", Ok(true), b"hello", 15),
            (
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT",
                Ok(true),
                b"hello world",
                26,
            ),
            (b"A\r\n0123456789\r\n0\r\n\r\n", Ok(true), b"0123456789", 20),
            (b"a\r\n0123456789\r\n0\r\n\r\n", Ok(true), b"0123456789", 20),
            (b"0005\r\nhello\r\n0\r\n\r\n", Ok(true), b"hello", 18),
            // Extensions are parsed and ignored (RFC 9112 §7.1.1), BWS before `;` too.
            (
                b"5;name=value\r\nhello\r\n0;last\r\n\r\n",
                Ok(true),
                b"hello",
                31,
            ),
            (
                b"5 ;q=\"a;b\"\r\nhello\r\n0\r\n\r\n",
                Ok(true),
                b"hello",
                24,
            ),
            (
                b"5 ; a = \"x\\\"y\" ;b;c=d\t;e=\"\xc3\xa9\"\r\nhello\r\n0\r\n\r\n",
                Ok(true),
                b"hello",
                43,
            ),
            // Trailers are checked and dropped (RFC 9112 §7.1.2).
            (
                b"2\r\nab\r\n0\r\nX-Sum: 1\r\nX-B:\r\n\r\nNEXT",
                Ok(true),
                b"ab",
                28,
            ),
            // Not finished yet: everything whole is used, partial lines are left.
            (b"5\r\nhel", Ok(false), b"hel", 6),
            (b"5\r\nhello", Ok(false), b"hello", 8),
            (b"5\r\nhello\r", Ok(false), b"hello", 8),
            (b"5\r\nhello\r\n", Ok(false), b"hello", 10),
            (b"5\r\nhello\r\n0", Ok(false), b"hello", 10),
            (b"5\r\nhello\r\n1", Ok(false), b"hello", 10),
            (b"5\r\nhello\r\n0\r\n", Ok(false), b"hello", 13),
            (b"5\r\nhello\r\n0\r\nX-A: 1\r\n", Ok(false), b"hello", 21),
            (b"5\r\nhello\r\n0\r\nX-A: 1\r", Ok(false), b"hello", 13),
        ];
        for (input, outcome, body, taken) in cases {
            let got = decode_whole(BodyKind::Chunked, 100, input);
            let want = (outcome.clone(), body.to_vec(), *taken);
            assert_eq!(got, want, "{:?}", input.escape_ascii().to_string());
        }
    }

    #[test]
    fn a_chunked_body_split_at_every_byte_decodes_the_same() {
        let input = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nGET /next";
        let whole = decode_whole(BodyKind::Chunked, 1000, input);
        assert_eq!(
            whole,
            (
                Ok(true),
                b"Wikipedia in\r\n\r\nchunks.".to_vec(),
                input.len() - 9
            )
        );
        for first in 0..=input.len() {
            for second in first..=input.len() {
                let got = decode_in_pieces(BodyKind::Chunked, 1000, input, &[first, second]);
                assert_eq!(got, whole, "cut at {first} and {second}");
            }
        }
        let every: Vec<usize> = (0..input.len()).collect();
        assert_eq!(
            decode_in_pieces(BodyKind::Chunked, 1000, input, &every),
            whole
        );
    }

    #[test]
    fn refuses_bad_chunked_framing() {
        use Malformed::*;
        // The message quotes the whole chunk-size line, escaped.
        let size = |line: &[u8]| {
            let end = line
                .iter()
                .position(|&b| b == b'\n')
                .map_or(line.len(), |lf| lf + 1);
            InvalidChunkSize(line[..end].escape_ascii().to_string())
        };
        let ext = |line: &[u8]| InvalidChunkExtension(line.escape_ascii().to_string());
        let cases: &[(&[u8], Malformed)] = &[
            (b"\r\n", size(b"\r\n")),
            (b";ext\r\n", size(b";ext\r\n")),
            (b"x\r\n", size(b"x\r\n")),
            (b"-5\r\n", size(b"-5\r\n")),
            (b"+5\r\n", size(b"+5\r\n")),
            (b" 5\r\n", size(b" 5\r\n")),
            (b"0x5\r\n", size(b"0x5\r\n")),
            (b"5\n", size(b"5\n")),
            (b"5\rx\n", size(b"5\rx\n")),
            (b"5;a\nb\r\n", size(b"5;a\nb\r\n")),
            (b"5 5\r\n", size(b"5 5\r\n")),
            (b"5 \r\nhello\r\n", ext(b"5 \r\n")),
            (b"5\t\r\nhello\r\n", ext(b"5\t\r\n")),
            (b"5x\r\nhello\r\n", size(b"5x\r\n")),
            (b"5;\r\nhello\r\n", ext(b"5;\r\n")),
            (b"5;bad[=x\r\nhello\r\n", ext(b"5;bad[=x\r\n")),
            (b"5;\x00\r\nhello\r\n", ext(b"5;\x00\r\n")),
            (b"5;a=\r\nhello\r\n", ext(b"5;a=\r\n")),
            (b"5;a=b c\r\nhello\r\n", ext(b"5;a=b c\r\n")),
            (b"5;a \r\nhello\r\n", ext(b"5;a \r\n")),
            (b"5;a;\r\nhello\r\n", ext(b"5;a;\r\n")),
            (b"5;a=\"open\r\nhello\r\n", ext(b"5;a=\"open\r\n")),
            (b"5;a=\"q\"x\r\nhello\r\n", ext(b"5;a=\"q\"x\r\n")),
            (b"5 ;=x\r\nhello\r\n", ext(b"5 ;=x\r\n")),
            (b"0;\r\n\r\n", ext(b"0;\r\n")),
            (b"12345678901234567\r\n", size(b"12345678901234567\r\n")),
            (b"00000000000000005\r\n", size(b"00000000000000005\r\n")),
            (b"5\r\nhelloX\r\n", ChunkDataOverrun),
            (b"5\r\nhello\rX", ChunkDataOverrun),
            (b"5\r\nhello\n0\r\n\r\n", ChunkDataOverrun),
            (b"5\r\nhello world\r\n", ChunkDataOverrun),
            (b"0\r\nX-A: 1\n\r\n", TrailerLineEnding),
            (b"0\r\n\n", TrailerLineEnding),
            (b"0\r\nno colon\r\n\r\n", TrailerField),
            (b"0\r\n folded: x\r\n\r\n", TrailerField),
            (b"0\r\nX A: 1\r\n\r\n", TrailerField),
            (b"0\r\n: 1\r\n\r\n", TrailerField),
            (b"0\r\nX-A: a\x00b\r\n\r\n", TrailerField),
            (b"0\r\nX-A: a\rb\r\n\r\n", TrailerField),
        ];
        for (input, kind) in cases {
            assert_eq!(
                decode_whole(BodyKind::Chunked, 100, input).0,
                Err(RequestError::Malformed(kind.clone())),
                "{:?}",
                input.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn bounds_chunk_lines_and_trailers_it_must_buffer() {
        let long_line = |len: usize| {
            let mut line = b"1;".to_vec();
            line.resize(len - 2, b'x');
            line.extend_from_slice(b"\r\n");
            line
        };
        let outcome = |input: &[u8]| decode_whole(BodyKind::Chunked, 100, input).0;
        assert_eq!(outcome(&long_line(MAX_CHUNK_LINE_BYTES)), Ok(false));
        let too_long = Err(RequestError::Malformed(Malformed::ChunkLineTooLong {
            limit: MAX_CHUNK_LINE_BYTES,
        }));
        assert_eq!(outcome(&long_line(MAX_CHUNK_LINE_BYTES + 1)), too_long);
        // An unfinished line is refused as soon as it cannot fit any more.
        let unfinished = &long_line(MAX_CHUNK_LINE_BYTES + 10)[..MAX_CHUNK_LINE_BYTES];
        assert_eq!(outcome(unfinished), too_long);
        assert_eq!(outcome(&unfinished[..MAX_CHUNK_LINE_BYTES - 1]), Ok(false));

        let trailers = |len: usize| {
            let mut body = b"0\r\nX: ".to_vec();
            body.resize(3 + len - 4, b'v');
            body.extend_from_slice(b"\r\n\r\n");
            body
        };
        assert_eq!(outcome(&trailers(MAX_TRAILER_BYTES)), Ok(true));
        let too_large = outcome(&trailers(MAX_TRAILER_BYTES + 1)).unwrap_err();
        assert_eq!(
            too_large.to_string(),
            "malformed request: trailer section larger than 8192 bytes"
        );
    }

    #[test]
    fn refuses_a_body_over_the_limit_before_copying_it() {
        let too_large = Err(RequestError::BodyTooLarge { limit: 10 });
        // Content-Length over the limit: nothing is copied.
        assert_eq!(
            decode_whole(BodyKind::Length(11), 10, b"0123456789a"),
            (too_large.clone(), vec![], 0)
        );
        assert_eq!(
            decode_whole(BodyKind::Length(10), 10, b"0123456789").0,
            Ok(true)
        );
        // Chunked: refused at the chunk size that would pass the limit, whatever the
        // data that follows (and however large the announced size).
        let cases: &[(&[u8], &[u8])] = &[
            (b"b\r\n0123456789a\r\n0\r\n\r\n", b""),
            (b"5\r\n01234\r\n6\r\n", b"01234"),
            (b"5\r\n01234\r\n5\r\n56789\r\n1\r\n", b"0123456789"),
            (b"ffffffffffffffff\r\n", b""),
        ];
        for (input, body) in cases {
            let (outcome, got, _) = decode_whole(BodyKind::Chunked, 10, input);
            assert_eq!(
                (outcome, got),
                (too_large.clone(), body.to_vec()),
                "{input:?}"
            );
        }
        let exact = b"5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n";
        assert_eq!(decode_whole(BodyKind::Chunked, 10, exact).0, Ok(true));
    }

    /// A decoder keeping the first bytes keeps exactly those, however the input is cut
    /// and whatever the coding, and counts every byte: the body a connection holds is
    /// the echo's prefix, its length the whole body's.
    #[test]
    fn keeps_only_the_first_bytes_and_counts_them_all() {
        let chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT";
        let cases: [(BodyKind, &[u8]); 2] = [
            (BodyKind::Length(11), b"hello worldNEXT"),
            (BodyKind::Chunked, chunked),
        ];
        for (kind, input) in cases {
            for keep in [0, 1, 5, 7, 11, 100] {
                for cut in 0..=input.len() {
                    let mut decoder = BodyDecoder::new(kind, 1000).keeping(keep);
                    let mut body = Vec::new();
                    let first = decoder.decode(&input[..cut], &mut body).unwrap();
                    let rest = &input[first.consumed..];
                    let second = decoder.decode(rest, &mut body).unwrap();
                    assert!(second.complete, "{kind:?} keep {keep} cut {cut}");
                    assert_eq!(
                        body,
                        &b"hello world"[..keep.min(11)],
                        "{kind:?} {keep} {cut}"
                    );
                    assert_eq!(decoder.decoded(), 11);
                    assert_eq!(&rest[second.consumed..], b"NEXT");
                }
            }
        }
    }
}
