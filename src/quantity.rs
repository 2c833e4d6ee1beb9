//! Kubernetes resource quantities (`4Gi`, `1500m`), as numbers for the checks and
//! summaries that compare them. Validation has already accepted their syntax.

/// A Kubernetes memory quantity in bytes (`4Gi`, `1500M`, `2e9`).
pub fn bytes(quantity: &str) -> Option<f64> {
    let q = quantity.trim();
    let split = q
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let factor = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// A Kubernetes CPU quantity in cores (`2`, `500m`, `1.5`).
pub fn cores(quantity: &str) -> Option<f64> {
    let q = quantity.trim();
    match q.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().ok().map(|m| m / 1000.0),
        None => q.parse::<f64>().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_quantities() {
        assert_eq!(bytes("1Gi"), Some(1024.0 * 1024.0 * 1024.0));
        assert_eq!(bytes("1500M"), Some(1.5e9));
        assert_eq!(bytes("2e9"), Some(2e9));
        assert_eq!(bytes("4x"), None);
    }

    #[test]
    fn cpu_quantities_are_cores() {
        assert_eq!(cores("2"), Some(2.0));
        assert_eq!(cores("500m"), Some(0.5));
        assert_eq!(cores("1.5"), Some(1.5));
        assert_eq!(cores("x"), None);
    }
}
