//! (stub) csv input; to be implemented.
