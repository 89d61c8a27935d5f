//! placeholder
/// x
pub struct Server;
