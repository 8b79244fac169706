//! The small corruptions real records carry: one-keystroke typos,
//! orthographic variants inside a script, lost diacritics, and script
//! detection for the benchmark's metadata.

use rand::Rng;

/// Which script a string is written in (of its first letter).
pub fn script_of(s: &str) -> &'static str {
    let Some(c) = s.chars().find(|c| c.is_alphabetic()) else {
        return "latin";
    };
    match u32::from(c) {
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => "arabic",
        0x1200..=0x139F | 0x2D80..=0x2DDF | 0xAB00..=0xAB2F => "ethiopic",
        0x0400..=0x052F => "cyrillic",
        _ => "latin",
    }
}

/// Letters a hurried or unfamiliar hand confuses, by script.
const LATIN_PAIRS: &[(char, char)] = &[
    ('a', 'e'),
    ('e', 'i'),
    ('i', 'y'),
    ('o', 'u'),
    ('u', 'o'),
    ('c', 'k'),
    ('k', 'q'),
    ('s', 'z'),
    ('m', 'n'),
    ('b', 'p'),
    ('d', 't'),
    ('f', 'v'),
    ('g', 'j'),
    ('w', 'v'),
    ('l', 'r'),
    ('h', 'k'),
];
const ARABIC_PAIRS: &[(char, char)] = &[
    ('ة', 'ه'),
    ('ى', 'ي'),
    ('ي', 'ی'),
    ('ك', 'ک'),
    ('أ', 'ا'),
    ('إ', 'ا'),
    ('س', 'ص'),
    ('ت', 'ط'),
    ('ذ', 'ز'),
    ('ض', 'ظ'),
    ('ح', 'ه'),
    ('ق', 'ك'),
    ('د', 'ذ'),
    ('ع', 'ء'),
];
const CYRILLIC_PAIRS: &[(char, char)] = &[
    ('и', 'і'),
    ('і', 'ї'),
    ('е', 'є'),
    ('г', 'ґ'),
    ('о', 'а'),
    ('е', 'и'),
    ('и', 'ы'),
    ('ш', 'щ'),
];

fn confusable(c: char, rng: &mut impl Rng) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let upper = c != lower;
    let cp = u32::from(lower);
    // Ethiopic syllables come in rows of 8 (one consonant, seven vowels):
    // move to another vowel order of the same consonant.
    if (0x1200..=0x135A).contains(&cp) {
        let base = cp - cp % 8;
        let order = rng.random_range(0..7);
        return char::from_u32(base + order).unwrap_or(c);
    }
    for table in [LATIN_PAIRS, ARABIC_PAIRS, CYRILLIC_PAIRS] {
        for &(a, b) in table {
            let other = if a == lower {
                b
            } else if b == lower {
                a
            } else {
                continue;
            };
            return if upper {
                other.to_uppercase().next().unwrap_or(other)
            } else {
                other
            };
        }
    }
    c
}

/// One typing error: insertion (mostly a doubled letter), deletion,
/// substitution by a confusable letter, or transposition of neighbours.
/// The first letter is kept: people rarely get it wrong, and it keeps
/// blocking-by-initial matchers from being trivially defeated or helped.
pub fn typo(s: &str, rng: &mut impl Rng) -> String {
    let mut cs: Vec<char> = s.chars().collect();
    let letters: Vec<usize> = (1..cs.len()).filter(|&i| cs[i].is_alphabetic()).collect();
    if letters.len() < 2 {
        return s.to_string();
    }
    let i = letters[rng.random_range(0..letters.len())];
    match rng.random_range(0..4) {
        0 => {
            let c = cs[i];
            cs.insert(i, c);
        }
        1 => {
            cs.remove(i);
        }
        2 => {
            let c = confusable(cs[i], rng);
            if c == cs[i] {
                cs.remove(i);
            } else {
                cs[i] = c;
            }
        }
        _ => {
            if i + 1 < cs.len() && cs[i + 1].is_alphabetic() {
                cs.swap(i, i + 1);
            } else {
                cs.swap(i - 1, i);
            }
        }
    }
    cs.into_iter().collect()
}

/// Spelling habits within a script that are not errors: Arabic hamza / teh
/// marbuta / alef maksura and Persian vs Arabic yeh and kaf; Ge'ez
/// homophone consonants (ሀ ሐ ኀ, ሰ ሠ, አ ዐ, ጸ ፀ); Ukrainian vs Russian letters.
pub fn orthographic_variant(s: &str, rng: &mut impl Rng) -> String {
    let flip = rng.random_bool(0.5);
    s.chars()
        .map(|c| match c {
            'أ' | 'إ' | 'آ' => 'ا',
            'ة' if flip => 'ه',
            'ى' => 'ي',
            'ی' if flip => 'ي',
            'ي' if !flip => 'ی',
            'ک' => 'ك',
            'і' if flip => 'и',
            'є' => 'е',
            'ї' => 'і',
            'ґ' => 'г',
            c => ethiopic_homophone(c, flip).unwrap_or(c),
        })
        .collect()
}

fn ethiopic_homophone(c: char, flip: bool) -> Option<char> {
    let cp = u32::from(c);
    let (base, order) = (cp - cp % 8, cp % 8);
    // Pairs of rows that sound the same in Tigrinya and Amharic.
    let to = match base {
        0x1200 => 0x1210, // ሀ -> ሐ
        0x1210 if flip => 0x1200,
        0x1280 => 0x1200, // ኀ -> ሀ
        0x1220 => 0x1230, // ሠ -> ሰ
        0x12D0 => 0x12A0, // ዐ -> አ
        0x12A0 if flip => 0x12D0,
        0x1340 => 0x1338, // ፀ -> ጸ
        0x1338 if flip => 0x1340,
        _ => return None,
    };
    char::from_u32(to + order)
}

/// Drops diacritics the way ASCII-only systems do (José -> Jose, Przemyśl -> Przemysl).
pub fn strip_accents(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.chars()
        .filter_map(|c| {
            Some(match c {
                'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ă' => 'a',
                'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
                'é' | 'è' | 'ê' | 'ë' | 'ė' => 'e',
                'É' | 'È' | 'Ê' | 'Ë' => 'E',
                'í' | 'ì' | 'î' | 'ï' | 'ı' => 'i',
                'Í' | 'Ì' | 'Î' | 'Ï' | 'İ' => 'I',
                'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
                'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
                'ñ' => 'n',
                'Ñ' => 'N',
                'ç' | 'ć' | 'č' => 'c',
                'Ç' | 'Ć' | 'Č' => 'C',
                'ś' | 'š' | 'ş' | 'ș' => 's',
                'Ś' | 'Š' | 'Ş' | 'Ș' => 'S',
                'ž' | 'ź' | 'ż' => 'z',
                'Ž' | 'Ź' | 'Ż' => 'Z',
                'ł' => 'l',
                'Ł' => 'L',
                'ğ' => 'g',
                'ḥ' => 'h',
                '\u{0301}' | '\u{0300}' | '\u{0308}' => return None,
                c => c,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn scripts() {
        assert_eq!(script_of("محمد"), "arabic");
        assert_eq!(script_of("فاطمه"), "arabic");
        assert_eq!(script_of("ተስፋይ"), "ethiopic");
        assert_eq!(script_of("Олександр"), "cyrillic");
        assert_eq!(script_of("José"), "latin");
        assert_eq!(script_of(""), "latin");
    }

    #[test]
    fn typo_is_one_edit_and_keeps_first_letter() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for word in ["Mohammad", "Abdulrahman", "ተስፋማርያም", "Олександр", "محمود"] {
            for _ in 0..200 {
                let t = typo(word, &mut rng);
                assert_eq!(t.chars().next(), word.chars().next());
                let (a, b) = (word.chars().count() as i64, t.chars().count() as i64);
                assert!((a - b).abs() <= 1, "{word} -> {t}");
            }
        }
    }

    #[test]
    fn accents() {
        assert_eq!(strip_accents("María José Hernández"), "Maria Jose Hernandez");
        assert_eq!(strip_accents("Przemyśl"), "Przemysl");
    }
}
