//! Properties every name comparison keeps, on generated names: symmetry,
//! exactness with itself, no panics on arbitrary Unicode.

use kinlink_match::names::{
    Level, NameKey, clean_arabic, compare_names, fold_case, fold_latin, jaro_winkler, to_latin,
};
use proptest::prelude::*;

/// Name fragments in the scripts and spellings the system meets.
const FRAGMENTS: &[&str] = &[
    "Mohammed",
    "Muhammad",
    "Maxamed",
    "محمد",
    "محمود",
    "Mahmoud",
    "Ahmad",
    "أحمد",
    "احمد",
    "Hassan",
    "Hussein",
    "حسن",
    "حسين",
    "Xasan",
    "Cabdi",
    "Abdi",
    "Abdul",
    "Rahman",
    "Abd",
    "al-",
    "ال",
    "عبد",
    "الرحمن",
    "Abderrahmane",
    "bin",
    "ibn",
    "Yusuf",
    "Youssef",
    "Jussuf",
    "يوسف",
    "Fatima",
    "فاطمة",
    "فاطمه",
    "Zainab",
    "زينب",
    "Tesfay",
    "ተስፋይ",
    "G/Medhin",
    "ገብረመድህን",
    "W/Mariam",
    "ወልደማርያም",
    "Gebre",
    "Oleksandr",
    "Олександр",
    "Александр",
    "Kyrylo",
    "Кирилл",
    "Юлія",
    "Julia",
    "Gul",
    "Bibi",
    "گل",
    "بی",
    "María",
    "José",
    "López",
    "García",
    "de",
    "la",
    "y",
    "M.",
    "Ş",
    "Müller",
    "Ahmadzai",
    "Ali",
    "Alia",
    "Amina",
    "Aminata",
    "Pepe",
    "Sasha",
    "Mohd",
    "ሓ",
    "ኽ",
    "ۍ",
    "ې",
    "ځ",
    "ة",
    "ى",
    "ـ",
    "ً",
    "١٢",
    "Ḥasan",
    "ʿAlī",
    "O'Brien",
    "Nasr",
    "ad-Din",
    "Abdoulaye",
    "Cismaan",
    "Xuseen",
    "Faadumo",
];

fn fragment() -> impl Strategy<Value = String> {
    prop::sample::select(FRAGMENTS).prop_map(str::to_string)
}

/// A fragment, sometimes with a random character inserted or removed.
fn mutated() -> impl Strategy<Value = String> {
    (fragment(), any::<char>(), any::<u8>(), 0u8..3).prop_map(|(f, c, at, op)| {
        let mut chars: Vec<char> = f.chars().collect();
        let i = at as usize % (chars.len() + 1);
        match op {
            0 => chars.insert(i, c),
            1 if !chars.is_empty() => {
                chars.remove(i.min(chars.len() - 1));
            }
            _ => {}
        }
        chars.into_iter().collect()
    })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(mutated(), 1..5).prop_map(|v| v.join(" ")),
        1 => prop::collection::vec(fragment(), 1..4).prop_map(|v| v.join("-")),
        1 => any::<String>(),
    ]
}

proptest! {
    // 2000 cases by default; PROPTEST_CASES raises it for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_arbitrary_unicode(s in any::<String>()) {
        let k = NameKey::new(&s);
        let _ = compare_names(&k, &k);
        let _ = fold_case(&s);
        let _ = fold_latin(&s);
        let _ = clean_arabic(&s);
        let _ = to_latin(&s);
    }

    #[test]
    fn never_panics_on_unicode_ranges(v in prop::collection::vec(
        prop_oneof![
            0x0600u32..0x0700, 0x0750u32..0x0780, 0x1200u32..0x1400, 0x0400u32..0x0530,
            0x0300u32..0x0370, 0x0000u32..0x0250, 0x200Bu32..0x2070, 0xFB50u32..0xFEFF,
        ], 0..24)) {
        let s: String = v.into_iter().filter_map(char::from_u32).collect();
        let k = NameKey::new(&s);
        let _ = compare_names(&k, &k);
    }

    #[test]
    fn every_name_is_exact_with_itself(s in name()) {
        let a = NameKey::new(&s);
        let b = NameKey::new(&s);
        let c = compare_names(&a, &b);
        if a.is_empty() {
            prop_assert_eq!(c.similarity, 0.0);
        } else {
            prop_assert_eq!(c.similarity, 1.0);
            prop_assert_eq!(c.unmatched_a, 0);
            prop_assert_eq!(c.unmatched_b, 0);
            prop_assert!(c.pairs().iter().all(|p| p.level == Level::Exact && p.a == p.b));
        }
        for t in a.tokens() {
            prop_assert_eq!(t.compare(t), Level::Exact);
        }
    }

    #[test]
    fn comparison_is_symmetric(x in name(), y in name()) {
        let (a, b) = (NameKey::new(&x), NameKey::new(&y));
        let ab = compare_names(&a, &b);
        let ba = compare_names(&b, &a);
        prop_assert_eq!(ab.similarity, ba.similarity);
        prop_assert_eq!(ab.unmatched_a, ba.unmatched_b);
        prop_assert_eq!(ab.unmatched_b, ba.unmatched_a);
        let mut p: Vec<_> = ab.pairs().iter().map(|p| (p.a.start, p.a.len, p.b.start, p.b.len, p.level)).collect();
        let mut q: Vec<_> = ba.pairs().iter().map(|p| (p.b.start, p.b.len, p.a.start, p.a.len, p.level)).collect();
        p.sort();
        q.sort();
        prop_assert_eq!(p, q);
        for t in a.tokens() {
            for u in b.tokens() {
                prop_assert_eq!(t.compare(u), u.compare(t));
            }
        }
    }

    #[test]
    fn similarity_is_a_fraction(x in name(), y in name()) {
        let c = compare_names(&NameKey::new(&x), &NameKey::new(&y));
        prop_assert!((0.0..=1.0).contains(&c.similarity));
    }

    #[test]
    fn jaro_winkler_matches_strsim(a in "[a-z]{0,20}", b in "[a-z]{0,20}") {
        let (x, y) = if a <= b { (&a, &b) } else { (&b, &a) };
        prop_assert_eq!(jaro_winkler(&a, &b), strsim::jaro_winkler(x, y));
        prop_assert_eq!(jaro_winkler(&a, &b), jaro_winkler(&b, &a));
    }
}
