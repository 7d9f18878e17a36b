//! profile (stub).
