//! host[:port] grammar. TODO(host helper).
