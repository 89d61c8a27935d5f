//! HTTP/1.x as hostecho speaks it: the request model, framing bytes into requests, the
//! request target, the shared field grammar, query and form pairs, and serialising
//! responses. Nothing here does I/O.

pub mod form;
pub mod framing;
pub mod grammar;
pub mod request;
pub mod response;
pub mod target;

pub use framing::{BodyDecoder, BodyKind, FramedHead, Limits, Persistence};
pub use request::{Body, Field, Fields, Head, Header, LineEndings, Request, Version};
pub use response::{Response, Status};
pub use target::{RequestTarget, Target};
