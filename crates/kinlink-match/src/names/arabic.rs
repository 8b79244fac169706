//! Arabic script (Arabic, Persian/Dari, Pashto, Urdu, Kurdish): clean-up for
//! equality, and a front-end reading letters straight into phones.
//!
//! Hand-rolled rather than `any_ascii` because `any_ascii` (محمد → `mhmd`,
//! يوسف → `ywsf`, حسين → `hsyn`) reads و and ي always as consonants and
//! loses what matching needs: whether ي is a long ī (كريم Karim), a
//! diphthong (زينب Zaynab) or a consonant (بيان Bayan); that ة, ى and a
//! final ه are vowels; that an initial ا/ع/أ means the name starts with a
//! vowel. Those letters are read here as vowel *gaps* (see `skeleton.rs`),
//! with both readings where the script is ambiguous.

use super::skeleton::{A, Chooser, E, I, LI, LU, O, Ph, SH, U, UNK, W};

/// Harakat, superscript alef and Quranic annotation marks.
fn is_diacritic(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}')
}

/// Removes harakat (U+064B–U+065F, U+0670) and tatweel (U+0640), and maps
/// Arabic-Indic digits to ASCII. Letters are kept as written.
pub fn strip_arabic_marks(s: &str) -> String {
    s.chars()
        .filter(|&c| !is_diacritic(c) && c != '\u{0640}')
        .map(|c| super::text::ascii_digit(c).unwrap_or(c))
        .collect()
}

/// One letter to its spelling-independent form.
fn unify(c: char) -> char {
    match c {
        // Alef with hamza/madda/wasla → bare alef.
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => 'ا',
        // Yeh forms, alef maksura and yeh with hamza → Arabic yeh.
        'ى' | 'ی' | 'ې' | 'ۍ' | 'ئ' | 'ے' | 'ێ' => 'ي',
        // Teh marbuta and its Urdu form → heh; Urdu/Kurdish hehs → heh.
        'ة' | 'ۃ' | 'ھ' | 'ە' | 'ہ' => 'ه',
        'ؤ' => 'و',
        'ک' | 'ڪ' => 'ك',
        // Pashto and Urdu letters to the nearest Persian/Arabic letter, as
        // Arabic-keyboard spellings of the same names write them.
        'ټ' | 'ٹ' => 'ت',
        'ډ' | 'ڈ' => 'د',
        'ړ' | 'ڑ' => 'ر',
        'ښ' => 'ش',
        'ږ' => 'ژ',
        'ڼ' | 'ں' => 'ن',
        'ځ' => 'ز',
        'څ' => 'س',
        'ڭ' => 'گ',
        'ڤ' => 'ف',
        _ => c,
    }
}

/// The Arabic-script form two spellings of one name share: marks removed,
/// alef forms, yeh forms (ى ي ی ې ۍ ئ), teh marbuta (ة → ه), waw with hamza
/// and Persian/Pashto/Urdu letter variants unified, digits ASCII. پ چ ژ گ
/// stay: they are distinct sounds, not spelling variants.
pub fn clean_arabic(s: &str) -> String {
    strip_arabic_marks(s).chars().map(unify).collect()
}

/// Strips a leading article ال from a word of at least two more letters.
pub(crate) fn strip_article(word: &str) -> Option<&str> {
    let rest = word.strip_prefix("ال")?;
    (rest.chars().count() >= 2).then_some(rest)
}

/// The part of a word after a joined عبد (عبدالرحمن → رحمن), if it is a
/// compound: `Some(X)` with X's article removed.
pub(crate) fn abd_compound(word: &str) -> Option<&str> {
    let rest = word.strip_prefix("عبد")?;
    let x = rest.strip_prefix("ال").unwrap_or(rest);
    (x.chars().count() >= 2).then_some(x)
}

/// What a letter does, before context.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Consonant (class symbol) with an optional second reading.
    Cons(u8, Option<u8>),
    Alef,
    AlefMadda,
    /// Hamza carried by alef, with the vowel it implies.
    HamzaAlef(u16),
    /// Hamza on a seat, with the vowel it implies (ئ i, ؤ u).
    HamzaSeat(u16),
    Hamza,
    Ain,
    Waw,
    Yeh,
    /// Persian/Pashto yeh forms that end names as -ī, -ā (ی) or -e (ې).
    PersianYeh,
    YehE,
    AlefMaksura,
    TehMarbuta,
    Heh,
    Other,
}

fn kind(c: char) -> Kind {
    use Kind::*;
    let c1 = |s: u8| Cons(s, None);
    match c {
        'ب' => c1(b'b'),
        'پ' => c1(b'p'),
        'ت' | 'ط' | 'ټ' | 'ٹ' => c1(b't'),
        'ث' => Cons(b's', Some(b't')),
        'ج' => c1(b'j'),
        'چ' => c1(SH),
        'ح' => c1(b'h'),
        'خ' => Cons(b'h', Some(b'k')),
        'د' | 'ډ' | 'ڈ' => c1(b'd'),
        // ذ ض ظ: d/dh in Arabic, z in Persian, Turkish and Urdu.
        'ذ' => Cons(b'z', Some(b'd')),
        'ض' => Cons(b'd', Some(b'z')),
        'ظ' => Cons(b'z', Some(b'd')),
        'ر' | 'ړ' | 'ڑ' => c1(b'r'),
        'ز' => c1(b'z'),
        'س' | 'ص' | 'څ' => c1(b's'),
        'ژ' => c1(b'j'),
        'ږ' => Cons(b'j', Some(b'g')),
        'ځ' => Cons(b'z', Some(b'j')),
        'ش' => c1(SH),
        'ښ' => Cons(SH, Some(b'h')),
        'ع' => Ain,
        'غ' | 'گ' | 'ڭ' => c1(b'g'),
        'ف' | 'ڤ' => c1(if c == 'ڤ' { b'w' } else { b'f' }),
        'ق' => Cons(b'k', Some(b'g')),
        'ك' | 'ک' | 'ڪ' => c1(b'k'),
        'ل' => c1(b'l'),
        'م' => c1(b'm'),
        'ن' | 'ڼ' | 'ں' => c1(b'n'),
        'ه' | 'ھ' | 'ہ' | 'ە' => Heh,
        'ة' | 'ۃ' => TehMarbuta,
        'و' | 'ۆ' | 'ۇ' | 'ۈ' | 'ۋ' => Waw,
        'ؤ' => HamzaSeat(U | O),
        'ي' | 'ێ' => Yeh,
        'ی' | 'ۍ' => PersianYeh,
        'ې' | 'ے' => YehE,
        'ئ' => HamzaSeat(I | E),
        'ى' => AlefMaksura,
        'ا' | 'ٱ' | 'ٲ' | 'ٳ' => Alef,
        'آ' => AlefMadda,
        'أ' => HamzaAlef(UNK),
        'إ' => HamzaAlef(I | UNK),
        'ء' => Hamza,
        _ => Other,
    }
}

fn is_vowel_letter(k: Kind) -> bool {
    matches!(
        k,
        Kind::Alef | Kind::AlefMadda | Kind::AlefMaksura | Kind::TehMarbuta
    )
}

/// Reads Arabic-script letters (marks already stripped) into phones. A
/// short vowel may stand between any two consonants: that gap is `UNK`.
pub(crate) fn phones(letters: &[char], ch: &mut Chooser, out: &mut Vec<Ph>) {
    let n = letters.len();
    let kinds = |i: usize| kind(letters[i]);
    // After a consonant, the next consonant is preceded by an unwritten vowel.
    let mut after_consonant = false;
    let cons = |out: &mut Vec<Ph>, after: &mut bool, sym: u8| {
        // Two equal letters in a row are one sound written twice (the
        // assimilated article in عبدالله, رحمتالله): no vowel between.
        if *after && out.last() == Some(&Ph::C(sym)) {
            return;
        }
        if *after {
            out.push(Ph::V(UNK));
        }
        out.push(Ph::C(sym));
        *after = true;
    };
    let vowel = |out: &mut Vec<Ph>, after: &mut bool, m: u16| {
        out.push(Ph::V(m));
        *after = false;
    };
    for i in 0..n {
        let k = kinds(i);
        let first = i == 0;
        let last = i + 1 == n;
        let next = if last { Kind::Other } else { kinds(i + 1) };
        // Whether the last phone was a consonant (an initial و/ي is one).
        let prev_is_cons = !first && after_consonant;
        let prev = if first { Kind::Other } else { kinds(i - 1) };
        let prev_letter = if first { ' ' } else { letters[i - 1] };
        match k {
            Kind::Cons(s, alt) => {
                let sym = match alt {
                    Some(a) if ch.pick(2) == 1 => a,
                    _ => s,
                };
                cons(out, &mut after_consonant, sym);
            }
            Kind::Alef | Kind::HamzaAlef(_) | Kind::AlefMadda if first => {
                // Initial alef: the name starts with a vowel of unknown quality.
                out.push(Ph::Glottal);
                let m = match k {
                    Kind::AlefMadda => A,
                    Kind::HamzaAlef(m) => m,
                    _ => UNK,
                };
                vowel(out, &mut after_consonant, m);
            }
            Kind::Alef | Kind::AlefMadda => {
                // The alef of a joined الله (رحمتالله Rahmatullah) is the
                // article's, not a long vowel.
                let allah = letters[i..].starts_with(&['ا', 'ل', 'ل', 'ه']);
                vowel(out, &mut after_consonant, if allah { UNK } else { A | W })
            }
            Kind::HamzaAlef(_) | Kind::Hamza => {
                out.push(Ph::Glottal);
                after_consonant = true;
            }
            Kind::HamzaSeat(m) => {
                out.push(Ph::Glottal);
                vowel(out, &mut after_consonant, if last { I } else { m });
            }
            Kind::Ain => {
                out.push(Ph::Glottal);
                if first {
                    vowel(out, &mut after_consonant, UNK);
                } else {
                    after_consonant = true;
                }
            }
            Kind::TehMarbuta => vowel(out, &mut after_consonant, A),
            Kind::AlefMaksura => {
                // Final ى is -ā (Mustafa, Layla); Egyptian spelling also
                // writes final ي (Ali) with it.
                let m = if !last || ch.pick(2) == 0 { A } else { I };
                vowel(out, &mut after_consonant, m);
            }
            Kind::Heh => {
                // A final ه is first a vowel (فاطمه Fatemeh, مرضیه Marzieh),
                // but a consonant after ا (شاه Shah).
                let vowel_reading = last && ch.pick(2) == 0;
                let after_alef = matches!(prev, Kind::Alef | Kind::AlefMadda);
                if vowel_reading && !first && !after_alef {
                    vowel(out, &mut after_consonant, A);
                } else {
                    cons(out, &mut after_consonant, b'h');
                }
            }
            Kind::Waw | Kind::Yeh | Kind::PersianYeh | Kind::YehE => {
                let (sym, long, short_final) = match k {
                    Kind::Waw => (b'w', U | O | LU | W, U | O),
                    Kind::YehE => (b'y', E | I | W, E),
                    _ => (b'y', I | LI | W, I),
                };
                if first {
                    cons(out, &mut after_consonant, sym);
                } else if last {
                    let choice = ch.pick(2);
                    if !prev_is_cons {
                        // After a vowel letter: a consonant (-ay, -aw), or
                        // the -ī of a nisba after hamza (الطائي al-Ta'i).
                        if choice == 0 || sym == b'w' {
                            cons(out, &mut after_consonant, sym);
                        } else {
                            vowel(out, &mut after_consonant, short_final);
                        }
                    } else {
                        // Persian writes final -ā of Arabic names with ی (مصطفی
                        // Mustafa, موسی Musa, مرتضی Murtaza, یحیی Yahya); the
                        // reading is kept to those stems: -ی is mostly the -ī
                        // of surnames (رحیمی Rahimi, not Rahima).
                        // Egyptian and Sudanese spelling does the same with
                        // the Arabic ي for ى (مصطفي, موسي), on the same stems.
                        let a_stem = matches!(prev_letter, 'ف' | 'س' | 'ض' | 'ی' | 'ي');
                        let m = match (k, choice) {
                            (Kind::PersianYeh | Kind::Yeh, 1) if a_stem => Some(A),
                            (Kind::PersianYeh | Kind::YehE, _) => Some(short_final),
                            (_, 0) => Some(short_final),
                            _ => None,
                        };
                        match m {
                            Some(m) => vowel(out, &mut after_consonant, m),
                            None => cons(out, &mut after_consonant, sym),
                        }
                    }
                } else {
                    // Before a vowel letter, or after one, و/ي is first a
                    // consonant (بيان Bayan, مروان Marwan); between consonants
                    // first a long vowel (كريم Karim, يوسف Yusuf). Both readings.
                    let consonant_first = is_vowel_letter(next) || !prev_is_cons;
                    let consonant = (ch.pick(2) == 1) != consonant_first;
                    if consonant {
                        cons(out, &mut after_consonant, sym);
                    } else {
                        vowel(out, &mut after_consonant, long);
                    }
                }
            }
            Kind::Other => {
                // Digits, ZW marks left over, letters of other scripts.
            }
        }
    }
}

/// A Latin rendering of the first reading, for display and string
/// similarity: consonant classes as letters, long vowels as a/i/u/e, short
/// vowels absent (محمد → `mhmd`, فاطمة → `fatma`, يوسف → `yusf`).
pub(crate) fn render(letters: &[char]) -> String {
    let mut phones = Vec::new();
    phones_first(letters, &mut phones);
    let mut out = String::with_capacity(letters.len() + 2);
    for ph in phones {
        match ph {
            Ph::C(SH) => out.push_str("sh"),
            Ph::C(c) => out.push(c as char),
            Ph::V(m) if m & A != 0 => out.push('a'),
            Ph::V(m) if m & I != 0 => out.push('i'),
            Ph::V(m) if m & U != 0 => out.push('u'),
            Ph::V(m) if m & E != 0 => out.push('e'),
            _ => {}
        }
    }
    out
}

fn phones_first(letters: &[char], out: &mut Vec<Ph>) {
    let mut ch = Chooser::new(&[]);
    phones(letters, &mut ch, out);
}

#[cfg(test)]
mod tests {
    use super::super::skeleton::{Agreement, Skeleton, readings};
    use super::*;

    fn skels(s: &str) -> Vec<Skeleton> {
        let letters: Vec<char> = strip_arabic_marks(s).chars().collect();
        let mut out = Vec::new();
        readings(|ch, ph| phones(&letters, ch, ph), &mut out);
        out
    }

    fn latin(s: &str) -> Vec<Skeleton> {
        let mut out = Vec::new();
        readings(
            |ch, ph| super::super::latin::phones(s.as_bytes(), false, ch, ph),
            &mut out,
        );
        out
    }

    fn best(a: &[Skeleton], b: &[Skeleton]) -> Agreement {
        a.iter()
            .flat_map(|x| b.iter().map(move |y| x.agreement(y)))
            .min()
            .unwrap_or(Agreement::Differ)
    }

    #[test]
    fn clean_up() {
        assert_eq!(clean_arabic("أَحْمَد"), "احمد");
        assert_eq!(clean_arabic("إبراهيم"), "ابراهيم");
        assert_eq!(clean_arabic("فاطمة"), clean_arabic("فاطمه"));
        assert_eq!(clean_arabic("علی"), clean_arabic("علي"));
        assert_eq!(clean_arabic("مصطفى"), clean_arabic("مصطفی"));
        assert_eq!(clean_arabic("كريم"), clean_arabic("کریم"));
        assert_eq!(clean_arabic("مـحـمـد"), "محمد"); // tatweel
        assert_eq!(clean_arabic("مسؤول"), "مسوول");
        assert_eq!(clean_arabic("١٢٣ ۴۵۶"), "123 456");
        assert_eq!(clean_arabic("کاکړ"), "كاكر");
        assert_eq!(clean_arabic("عائشة"), "عايشه");
    }

    #[test]
    fn renders() {
        assert_eq!(render(&['م', 'ح', 'م', 'د']), "mhmd");
        assert_eq!(render(&"فاطمة".chars().collect::<Vec<_>>()), "fatma");
        assert_eq!(render(&"يوسف".chars().collect::<Vec<_>>()), "yusf");
    }

    #[test]
    fn skeletons() {
        assert_eq!(skels("محمد")[0].as_str(), "mhmd");
        assert_eq!(skels("أحمد")[0].as_str(), "ahmd");
        assert_eq!(skels("احمد")[0].as_str(), "ahmd");
        assert_eq!(skels("عمر")[0].as_str(), "amr");
        assert_eq!(skels("حسن")[0].as_str(), "hsn");
    }

    #[test]
    fn meets_latin() {
        use Agreement::*;
        for (ar, la) in [
            ("محمد", "mohammed"),
            ("محمد", "muhammad"),
            ("أحمد", "ahmad"),
            ("احمد", "ahmed"),
            ("حسن", "hassan"),
            ("حسين", "hussein"),
            ("حسين", "husayn"),
            ("يوسف", "yusuf"),
            ("يوسف", "youssef"),
            ("فاطمة", "fatima"),
            ("فاطمه", "fatemeh"),
            ("زينب", "zainab"),
            ("زينب", "zeynab"),
            ("علي", "ali"),
            ("علی", "ali"),
            ("مصطفى", "mustafa"),
            ("مصطفی", "mostafa"),
            ("كريم", "karim"),
            ("مريم", "maryam"),
            ("مريم", "mariam"),
            ("بيان", "bayan"),
            ("مروان", "marwan"),
            ("عمر", "omar"),
            ("عائشة", "aisha"),
            ("جعفر", "jafar"),
            ("ثريا", "soraya"),
            ("داود", "dawud"),
            ("داود", "daoud"),
            ("میرویس", "mirwais"),
            ("مرضیه", "marzia"),
            ("مرضیه", "marziyeh"),
            ("ذبیح", "zabih"),
            ("عثمان", "osman"),
            ("عثمان", "othman"),
            ("الطائي", "al-tai"),
            ("رضایی", "rezaei"),
            ("محمود", "mahmoud"),
            ("جواد", "javad"),
            // Egyptian/Sudanese ي for final ى.
            ("مصطفي", "mustafa"),
            ("موسي", "musa"),
            ("موسي", "mousa"),
        ] {
            assert_eq!(
                best(&skels(ar), &latin(la)),
                Same,
                "{ar} vs {la}: {:?} {:?}",
                skels(ar),
                latin(la)
            );
        }
        assert_eq!(best(&skels("حسين"), &latin("hassan")), Hard);
        assert_eq!(best(&skels("حسن"), &latin("hussein")), Hard);
        assert_eq!(best(&skels("محمود"), &latin("mohammed")), Hard);
        assert_eq!(best(&skels("علي"), &latin("alia")), Hard);
        // ي after other stems stays -ī: Hamdi is not Hamda, Ali not Ala.
        assert_eq!(best(&skels("حمدي"), &latin("hamda")), Hard);
        assert_eq!(best(&skels("رحیمی"), &latin("rahima")), Hard);
        assert_eq!(best(&skels("أسامة"), &skels("أسماء")), Hard);
        assert_eq!(best(&skels("سعيد"), &skels("سعد")), Hard);
        assert!(best(&skels("أحمد"), &latin("mahmoud")) >= Prefix);
    }
}
