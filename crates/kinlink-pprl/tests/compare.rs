//! Dice, top-k and all-pairs: properties against a brute-force reference.

use kinlink_pprl::{Clk, EncodingSet, Pair, all_pairs, dice, top_k};
use proptest::prelude::*;

fn clk(words: &[u64]) -> Clk {
    Clk::from_words(words.to_vec()).unwrap()
}

/// Encodings of `w` words with a density that varies from one to the next
/// (so popcounts differ and pruning has something to prune).
fn encodings(w: usize, max: usize) -> impl Strategy<Value = Vec<Vec<u64>>> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<u64>(), w),
            prop::collection::vec(any::<u64>(), w),
            0u8..4,
        ),
        1..max,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(a, b, density)| {
                a.iter()
                    .zip(&b)
                    .map(|(x, y)| match density {
                        0 => x & y,
                        1 => *x,
                        2 => x | y,
                        _ => x & y & (x >> 1),
                    })
                    .collect()
            })
            .collect()
    })
}

fn set_of(v: &[Vec<u64>]) -> EncodingSet {
    let mut s = EncodingSet::new(v[0].len() * 64);
    for e in v {
        s.push(&clk(e)).unwrap();
    }
    s
}

/// Brute force: every pair ≥ threshold (or the k best per query), by
/// query, best first, ties by lower candidate index.
fn reference(qs: &[Vec<u64>], cs: &[Vec<u64>], threshold: f64, k: Option<usize>) -> Vec<Pair> {
    let mut out = Vec::new();
    for (qi, q) in qs.iter().enumerate() {
        let mut hits: Vec<Pair> = cs
            .iter()
            .enumerate()
            .map(|(ci, c)| Pair {
                query: qi as u32,
                candidate: ci as u32,
                score: dice(q, c),
            })
            .filter(|p| p.score >= threshold)
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.candidate.cmp(&b.candidate)));
        if let Some(k) = k {
            hits.truncate(k);
        }
        out.extend(hits);
    }
    out
}

proptest! {
    #[test]
    fn dice_is_symmetric_bounded_and_one_on_itself(
        a in prop::collection::vec(any::<u64>(), 16),
        b in prop::collection::vec(any::<u64>(), 16),
    ) {
        let ab = dice(&a, &b);
        prop_assert_eq!(ab, dice(&b, &a));
        prop_assert!((0.0..=1.0).contains(&ab));
        if a.iter().any(|w| *w != 0) {
            prop_assert_eq!(dice(&a, &a), 1.0);
        }
        let zero = vec![0u64; 16];
        prop_assert_eq!(dice(&a, &zero), 0.0);
    }

    #[test]
    fn dice_of_subset_is_its_share(a in prop::collection::vec(any::<u64>(), 4)) {
        // B ⊆ A: Dice = 2|B| / (|A| + |B|).
        let b: Vec<u64> = a.iter().map(|w| w & (w >> 3)).collect();
        let pa: u32 = a.iter().map(|w| w.count_ones()).sum();
        let pb: u32 = b.iter().map(|w| w.count_ones()).sum();
        if pa + pb > 0 {
            let expected = f64::from(2 * pb) / f64::from(pa + pb);
            prop_assert!((dice(&a, &b) - expected).abs() < 1e-12);
        }
    }

    #[test]
    fn searches_equal_brute_force_sorted_or_not(
        qs in encodings(16, 12),
        cs in encodings(16, 60),
        threshold in 0.0f64..0.9,
        k in prop::option::of(0usize..6),
    ) {
        let expected = reference(&qs, &cs, threshold, k);
        let queries = set_of(&qs);
        let plain = set_of(&cs);
        let mut sorted = plain.clone();
        sorted.sort_by_popcount();
        prop_assert!(sorted.is_sorted());
        let mut sorted_queries = queries.clone();
        sorted_queries.sort_by_popcount();
        for (q, c) in [(&queries, &plain), (&queries, &sorted), (&sorted_queries, &sorted)] {
            let got = all_pairs(q, c, threshold, k).unwrap();
            prop_assert_eq!(&got, &expected);
        }
        if let Some(k) = k {
            for (qi, q) in qs.iter().enumerate() {
                let want: Vec<(u32, f64)> = expected
                    .iter()
                    .filter(|p| p.query == qi as u32)
                    .map(|p| (p.candidate, p.score))
                    .collect();
                for set in [&plain, &sorted] {
                    let got: Vec<(u32, f64)> =
                        top_k(&clk(q), set, k, threshold).unwrap().iter().map(|h| (h.index, h.score)).collect();
                    prop_assert_eq!(&got, &want);
                }
            }
        }
    }

    #[test]
    fn other_lengths_use_the_portable_loop(qs in encodings(3, 5), cs in encodings(3, 20)) {
        let got = all_pairs(&set_of(&qs), &set_of(&cs), 0.3, None).unwrap();
        prop_assert_eq!(got, reference(&qs, &cs, 0.3, None));
    }

    #[test]
    fn wire_form_round_trips(words in prop::collection::vec(any::<u64>(), 1..20)) {
        let c = clk(&words);
        let back = Clk::from_bytes(&c.to_bytes(), c.bits()).unwrap();
        prop_assert_eq!(back, c);
    }
}

#[test]
fn lengths_must_agree() {
    let a = clk(&[1; 16]);
    let mut small = EncodingSet::new(512);
    assert!(small.push(&a).is_err());
    assert!(top_k(&a, &small, 3, 0.5).is_err());
    assert!(Clk::from_bytes(&[0; 100], 1024).is_err());
    assert!(Clk::zeros(100).is_err());
    assert!(Clk::zeros(0).is_err());
}

#[test]
fn search_reports_insertion_indices_after_sorting() {
    let mut set = EncodingSet::new(64);
    // Popcounts 3, 1, 2: sorting reorders storage, not the indices reported.
    for w in [0b111u64, 0b1, 0b11] {
        set.push(&clk(&[w])).unwrap();
    }
    assert!(!set.is_sorted());
    set.sort_by_popcount();
    let hits = top_k(&clk(&[0b1]), &set, 3, 0.0).unwrap();
    let order: Vec<u32> = hits.iter().map(|h| h.index).collect();
    assert_eq!(order, [1, 2, 0]);
    assert_eq!(hits[0].score, 1.0);
    assert!((hits[1].score - 2.0 / 3.0).abs() < 1e-12);
}
