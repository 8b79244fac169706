//! Jaro–Winkler similarity.
//!
//! Hand-rolled for the hot path: `strsim::jaro_winkler` allocates its match
//! flags on every call; here ASCII strings of up to 64 bytes (every Latin
//! name form) keep them in two `u64` bit sets. The result is exactly
//! `strsim`'s (same window, same integer transposition count, boost only
//! above 0.7, prefix up to 4; a property test checks it), and anything else
//! falls back to `strsim`.

/// Jaro–Winkler similarity in [0, 1], symmetric in its arguments.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    // Greedy matching is not symmetric in every case: fix the argument order.
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    if a.is_ascii() && b.is_ascii() && a.len() <= 64 && b.len() <= 64 {
        ascii_jaro_winkler(a.as_bytes(), b.as_bytes())
    } else {
        strsim::jaro_winkler(a, b)
    }
}

fn ascii_jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let sim = ascii_jaro(a, b);
    if sim > 0.7 {
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

fn ascii_jaro(a: &[u8], b: &[u8]) -> f64 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 && lb == 0 {
        return 1.0;
    }
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let range = (la.max(lb) / 2).saturating_sub(1);
    let (mut fa, mut fb) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, &x) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = lb.min(i + range + 1);
        for (j, &y) in b.iter().enumerate().take(hi).skip(lo) {
            if y == x && fb & (1 << j) == 0 {
                fa |= 1 << i;
                fb |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &x) in a.iter().enumerate() {
        if fa & (1 << i) == 0 {
            continue;
        }
        while fb & (1 << j) == 0 {
            j += 1;
        }
        if x != b[j] {
            transpositions += 1;
        }
        j += 1;
    }
    let t = transpositions / 2;
    let m = matches as f64;
    (m / la as f64 + m / lb as f64 + (m - t as f64) / m) / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-3);
        assert!((jaro_winkler("cheeseburger", "cheese fries") - 0.866).abs() < 1e-3);
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("a", ""), 0.0);
        assert_eq!(jaro_winkler("ahmad", "ahmad"), 1.0);
    }

    #[test]
    fn same_as_strsim() {
        let names = [
            "hassan", "hussein", "ahmad", "mahmoud", "fatima", "fatma", "ali", "alia", "amina", "aminata",
        ];
        for a in names {
            for b in names {
                let (x, y) = if a <= b { (a, b) } else { (b, a) };
                assert_eq!(jaro_winkler(a, b), strsim::jaro_winkler(x, y), "{a} {b}");
            }
        }
        // Non-ASCII falls back to strsim.
        assert_eq!(
            jaro_winkler("محمد", "محمود"),
            strsim::jaro_winkler("محمد", "محمود")
        );
    }
}
