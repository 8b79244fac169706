//! Suppression: primary, secondary, and attackers that try to get hidden
//! values back from what is released.

use proptest::prelude::*;

use crate::dims::Dimension;
use crate::disclosure::{Line, audit, augment, lines, protect};
use crate::fixtures::{Kid, at, config};
use crate::indicator::Indicator;
use crate::table::{Shape, TableSpec};
use crate::{DisclosurePolicy, Figure, compute};
use kinlink_core::{Accompaniment, Sex};

/// The attacker of the textbook: any line with one unknown gives it away;
/// solve, and repeat with what was learnt. Written apart from the audit.
/// Returns the cells it recovered.
fn peel(shape: &Shape, counts: &[u64], hidden: &[bool]) -> Vec<usize> {
    let known: Vec<Option<i64>> = counts
        .iter()
        .zip(hidden)
        .map(|(c, h)| if *h { None } else { Some(*c as i64) })
        .collect();
    let solved = solve(shape, known);
    (0..hidden.len())
        .filter(|a| hidden[*a] && solved[*a].is_some())
        .collect()
}

fn solve(shape: &Shape, mut known: Vec<Option<i64>>) -> Vec<Option<i64>> {
    let all: Vec<Line> = lines(shape);
    loop {
        let mut progress = false;
        for line in &all {
            let cells: Vec<usize> = line.cells().collect();
            let unknown: Vec<usize> = cells.iter().copied().filter(|a| known[*a].is_none()).collect();
            if unknown.len() != 1 {
                continue;
            }
            let (total, parts) = cells.split_last().expect("a line has a total");
            let value = if unknown[0] == *total {
                parts.iter().map(|a| known[*a].unwrap_or(0)).sum()
            } else {
                known[*total].unwrap_or(0) - parts.iter().filter_map(|a| known[*a]).sum::<i64>()
            };
            known[unknown[0]] = Some(value);
            progress = true;
        }
        if !progress {
            return known;
        }
    }
}

fn protect_interior(sizes: &[usize], interior: &[u64], threshold: u64) -> (Shape, Vec<u64>, Vec<bool>) {
    let shape = Shape::new(sizes.to_vec());
    let counts = augment(&shape, interior);
    let hidden = protect(&shape, &counts, threshold).hidden;
    (shape, counts, hidden)
}

#[test]
fn small_cells_are_hidden_with_a_complement_and_zeros_are_shown() {
    let (_, counts, hidden) = protect_interior(&[4], &[3, 10, 12, 0], 5);
    assert_eq!(counts, vec![3, 10, 12, 0, 25]);
    // 3 is small; 10 is the cheapest complement; 0 and the total stay.
    assert_eq!(hidden, vec![true, true, false, false, false]);
}

#[test]
fn nothing_small_nothing_hidden() {
    let (_, _, hidden) = protect_interior(&[2, 3], &[5, 6, 0, 9, 12, 40], 5);
    assert!(hidden.iter().all(|h| !h));
}

#[test]
fn a_hidden_cell_cannot_be_recovered_from_row_and_column_totals() {
    // 3 x 3 with one small cell in the middle.
    let interior = [20, 30, 25, 18, 2, 40, 22, 35, 50];
    let (shape, counts, hidden) = protect_interior(&[3, 3], &interior, 5);
    let middle = shape.augmented_stride(0) + 1;
    assert!(hidden[middle], "the small cell is hidden");
    assert!(peel(&shape, &counts, &hidden).is_empty(), "recovered by peeling");
    // Every row and column with a hidden cell has at least two.
    for line in lines(&shape) {
        let n = line.cells().filter(|a| hidden[*a]).count();
        assert_ne!(n, 1, "a line with a single hidden cell");
    }
    // The interval attacker: guess the small cell, let the totals give the
    // rest, keep the guesses where every cell is a non-negative count. The
    // small cell must keep more than one possible value.
    let possible: Vec<i64> = (0..=60)
        .filter(|guess| {
            let mut known: Vec<Option<i64>> = counts
                .iter()
                .zip(&hidden)
                .map(|(c, h)| if *h { None } else { Some(*c as i64) })
                .collect();
            known[middle] = Some(*guess);
            let filled = solve(&shape, known);
            filled.iter().all(|v| v.is_some_and(|v| v >= 0))
                && lines(&shape).iter().all(|line| {
                    let cells: Vec<usize> = line.cells().collect();
                    let (total, parts) = cells.split_last().expect("total");
                    parts.iter().map(|a| filled[*a].unwrap_or(0)).sum::<i64>() == filled[*total].unwrap_or(0)
                })
        })
        .collect();
    assert!(possible.contains(&2));
    assert!(possible.len() > 1, "the small cell is determined: {possible:?}");
}

#[test]
fn the_audit_finds_what_the_line_rule_misses() {
    // Two hidden 2x2 blocks joined by one hidden cell (a bridge): every row and
    // column has 0 or 2+ hidden cells, yet the bridge is the difference of
    // sums of rows and columns.
    let shape = Shape::new(vec![5, 5]);
    let n = shape.augmented_len().expect("size");
    let at = |r: usize, c: usize| r * shape.augmented_stride(0) + c;
    let mut hidden = vec![false; n];
    for (r, c) in [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
        (1, 3),
        (3, 3),
        (3, 4),
        (4, 3),
        (4, 4),
    ] {
        hidden[at(r, c)] = true;
    }
    for line in lines(&shape) {
        assert_ne!(line.cells().filter(|a| hidden[*a]).count(), 1);
    }
    let found = audit(&lines(&shape), &hidden);
    assert_eq!(found.determined, vec![at(1, 3)]);
    assert!(found.complete);
    // A 2x2 block alone is safe.
    let mut block = vec![false; n];
    for (r, c) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        block[at(r, c)] = true;
    }
    assert!(audit(&lines(&shape), &block).determined.is_empty());
}

#[test]
fn an_engine_table_released_with_margins_resists_recovery() {
    // Nationality x sex with one nationality of 3 children.
    let t0 = at(2026, 2, 1, 8);
    let mut kids = Vec::new();
    let mut n = 0;
    for (nat, girls, boys) in [("AF", 12, 30), ("SY", 9, 14), ("ER", 1, 2), ("SO", 7, 6)] {
        for (sex, count) in [(Sex::Female, girls), (Sex::Male, boys)] {
            for _ in 0..count {
                n += 1;
                kids.push(Kid::new(n, nat, sex, Accompaniment::Unaccompanied, t0));
            }
        }
    }
    let spec = TableSpec::new(
        Indicator::ChildrenRegistered,
        &[Dimension::Nationality, Dimension::Sex],
    );
    let table = compute(config(), &[spec], kids.iter().map(Kid::pair), [], [])
        .expect("table")
        .pop()
        .expect("one");
    let released = table.release(&DisclosurePolicy::default());
    for codes in [["ER", "female"], ["ER", "male"], ["ER", "total"]] {
        assert!(
            released.cell(&codes).expect("cell").count().value().is_none(),
            "{codes:?} shown"
        );
    }
    assert_eq!(released.total().expect("total").count(), Figure::Value(81));
    // Rebuild what an outsider sees and attack it.
    let shape = table.shape.clone();
    let counts: Vec<u64> = released
        .cells()
        .iter()
        .map(|c| c.count().value().unwrap_or(0))
        .collect();
    let hidden: Vec<bool> = released
        .cells()
        .iter()
        .map(|c| c.count().value().is_none())
        .collect();
    assert!(peel(&shape, &counts, &hidden).is_empty());
    assert!(audit(&lines(&shape), &hidden).determined.is_empty());
    assert!(released.disclosure().audit_complete);
}

fn table_strategy() -> impl Strategy<Value = (Vec<usize>, Vec<u64>)> {
    prop::collection::vec(1usize..5, 1..4).prop_flat_map(|sizes| {
        let n: usize = sizes.iter().product();
        // Mostly small values so that suppression has work to do.
        let value = prop_oneof![3 => 0u64..3, 3 => 1u64..6, 2 => 5u64..40];
        (Just(sizes), prop::collection::vec(value, n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_hidden_cell_is_recoverable((sizes, interior) in table_strategy(), threshold in 3u64..7) {
        let (shape, counts, hidden) = protect_interior(&sizes, &interior, threshold);
        for (a, c) in counts.iter().enumerate() {
            if *c > 0 && *c < threshold {
                prop_assert!(hidden[a], "small cell shown");
            }
        }
        for line in lines(&shape) {
            prop_assert_ne!(line.cells().filter(|a| hidden[*a]).count(), 1);
        }
        prop_assert!(peel(&shape, &counts, &hidden).is_empty());
        prop_assert!(audit(&lines(&shape), &hidden).determined.is_empty());
    }
}
