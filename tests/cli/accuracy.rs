//! (accuracy test: written once the generator lands)
