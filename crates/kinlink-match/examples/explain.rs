//! Shows how names are read and compared:
//! `cargo run -p kinlink-match --example explain -- "Name one" "Name two"`.
use kinlink_match::names::{NameKey, compare_names};

fn show(k: &NameKey) {
    for t in k.tokens() {
        println!(
            "  {:?} script={:?} forms={:?} latin={} dm={:?}\n    skeletons={:?}",
            t.text(),
            t.script(),
            t.forms().collect::<Vec<_>>(),
            t.latin(),
            t.phonetic_codes().collect::<Vec<_>>(),
            t.skeletons()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
        eprintln!("usage: explain NAME NAME");
        return;
    };
    let (ka, kb) = (NameKey::new(a), NameKey::new(b));
    println!("{a}:");
    show(&ka);
    println!("{b}:");
    show(&kb);
    let c = compare_names(&ka, &kb);
    println!("similarity {:.3}", c.similarity);
    for p in c.pairs() {
        println!("  a{:?} ~ b{:?}: {:?}", p.a, p.b, p.level);
    }
}
