//! Grades name pairs read from standard input, one pair per line as
//! tab-separated fields (`[label<TAB>]name<TAB>name`), and prints each line
//! followed by the weakest pair level (or `Different` when a token is left
//! over) and the name similarity. For evaluating changes on a labelled set:
//!
//! `cargo run --release -p kinlink-match --example level_pairs < pairs.tsv`
use std::io::{BufRead, Write};

use kinlink_match::names::{Level, NameKey, compare_names};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        let fields: Vec<&str> = line.split('\t').collect();
        let (a, b) = match fields.as_slice() {
            [.., a, b] => (*a, *b),
            _ => continue,
        };
        let c = compare_names(&NameKey::new(a), &NameKey::new(b));
        let level = if c.unmatched_a != 0 || c.unmatched_b != 0 {
            Level::Different
        } else {
            c.weakest().unwrap_or(Level::Different)
        };
        writeln!(out, "{line}\t{level:?}\t{:.3}", c.similarity)?;
    }
    Ok(())
}
