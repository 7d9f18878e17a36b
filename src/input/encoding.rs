//! (stub) encoding input; to be implemented.
