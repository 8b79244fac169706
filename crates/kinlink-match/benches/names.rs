//! Cost of name precomputation and comparison.
//!
//! `cargo bench -p kinlink-match --bench names`
//!
//! * `precompute`: `NameKey::new` per name (mean over a mixed set of
//!   Latin, Arabic, Ge'ez and Cyrillic names of 1–4 tokens);
//! * `token_compare`: `Token::compare` per token pair (all pairs of the
//!   first tokens: mostly `Different`, as in blocking candidates);
//! * `token_compare_similar`: per token pair of spellings of one name;
//! * `name_compare`: `compare_names` per name pair.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kinlink_match::names::{NameKey, compare_names};

const NAMES: &[&str] = &[
    "Mohammed Ali Hassan",
    "محمد علي حسن",
    "Maxamed Cali Xasan",
    "Ahmad Ahmadzai",
    "احمد احمدزی",
    "Abdul Rahman al-Masri",
    "عبد الرحمن المصري",
    "Fatima Yusuf",
    "فاطمه یوسف",
    "Zainab Hussein",
    "Tesfay Gebremedhin",
    "ተስፋይ ገብረመድህን",
    "Yonas G/Medhin W/Mariam",
    "Oleksandr Shevchenko",
    "Олександр Шевченко",
    "Юлія Коваленко",
    "María José López García",
    "Jose Lopez",
    "Gul Bibi Popalzai",
    "گل بی بی",
    "Hamza Mohamud Warsame",
    "Cabdiraxmaan Xuseen",
    "Khadija Abdullahi",
    "Kyrylo Bondarenko",
];

const SAME_NAME: &[&str] = &[
    "Mohammed", "Muhammad", "Mohamed", "محمد", "Maxamed", "Mouhamad", "Yusuf", "Youssef", "يوسف", "Jussuf",
    "Hussein", "Husayn", "حسين", "Houssein",
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("names");

    g.throughput(Throughput::Elements(NAMES.len() as u64));
    g.bench_function("precompute", |b| {
        b.iter(|| {
            for n in NAMES {
                black_box(NameKey::new(black_box(n)));
            }
        })
    });

    let keys: Vec<NameKey> = NAMES.iter().map(|n| NameKey::new(n)).collect();
    let firsts: Vec<_> = keys.iter().filter_map(|k| k.tokens().first().cloned()).collect();
    g.throughput(Throughput::Elements((firsts.len() * firsts.len()) as u64));
    g.bench_function("token_compare", |b| {
        b.iter(|| {
            for t in &firsts {
                for u in &firsts {
                    black_box(t.compare(black_box(u)));
                }
            }
        })
    });

    let similar: Vec<_> = SAME_NAME
        .iter()
        .filter_map(|n| NameKey::new(n).tokens().first().cloned())
        .collect();
    g.throughput(Throughput::Elements((similar.len() * similar.len()) as u64));
    g.bench_function("token_compare_similar", |b| {
        b.iter(|| {
            for t in &similar {
                for u in &similar {
                    black_box(t.compare(black_box(u)));
                }
            }
        })
    });

    g.throughput(Throughput::Elements((keys.len() * keys.len()) as u64));
    g.bench_function("name_compare", |b| {
        b.iter(|| {
            for x in &keys {
                for y in &keys {
                    black_box(compare_names(x, black_box(y)));
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
