//! output (stub).
