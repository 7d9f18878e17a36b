//! synth (stub).
