//! Allowed-host patterns. TODO(host helper).
