//! (stub) parquet input; to be implemented.
