//! Money amounts (purchase totals). (stub)

/// Parses `1 234,50`, `1234.5`, `1,234.50`, `₽ 990` into a number; `None` if not an amount.
pub fn parse_amount(raw: &str) -> Option<f64> {
    let _ = raw;
    unimplemented!("amount parser")
}
