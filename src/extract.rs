//! extract (stub).
