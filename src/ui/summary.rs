//! Terminal summary rendering (stub).
