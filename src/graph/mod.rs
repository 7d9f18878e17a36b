//! graph (stub).
