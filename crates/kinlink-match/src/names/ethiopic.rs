//! Ge'ez (Ethiopic) script: Tigrinya and Amharic names.
//!
//! `any_ascii` is a good base here and is used for every syllable
//! (ተስፋይ → `tesfay`, ገብረመድህን → `gebremedhn`, ወልደማርያም → `weldemaryam`):
//! it writes each fidel as consonant + vowel and the sixth order (ɨ or no
//! vowel) as the bare consonant, which is how Latin spellings of these
//! names are built. Two things are added on top:
//!
//! * the sixth order is marked as an *unwritten* vowel for the skeleton
//!   (Latin writers insert an epenthetic i there or not: Mihret/Mhret,
//!   Gebremedhin), so a Latin vowel in that gap is never a difference;
//! * two rows `any_ascii` renders in ways Latin spellings do not use: the
//!   Tigrinya ኸ row (x, written kh: ተኽለ Tekhle/Tekle; `any_ascii` gives h)
//!   and the ጨ/ቸ rows (tʃ, written ch/tch; mapped to the sh class).
//!
//! Ejective and glottal marks (`ts'`, `k'`, `'a`) are dropped.

/// Whether `c` is a sixth-order fidel (consonant + ɨ or no vowel).
fn sixth_order(c: char) -> bool {
    let cp = c as u32;
    (0x1200..=0x135A).contains(&cp) && (cp - 0x1200) % 8 == 5
}

fn is_fidel(c: char) -> bool {
    ('\u{1200}'..='\u{139F}').contains(&c)
        || ('\u{2D80}'..='\u{2DDF}').contains(&c)
        || ('\u{AB00}'..='\u{AB2F}').contains(&c)
}

/// Transliterates a Ge'ez word. Returns `(latin, phon)`: `latin` for
/// equality and string similarity, `phon` for the skeleton with `*` where a
/// sixth-order fidel leaves the vowel unwritten.
pub fn transliterate(word: &str) -> (String, String) {
    let chars: Vec<char> = word.chars().collect();
    let mut latin = String::with_capacity(chars.len() * 2);
    let mut phon = String::with_capacity(chars.len() * 3);
    for (i, &c) in chars.iter().enumerate() {
        let mut buf = [0u8; 4];
        let raw = any_ascii::any_ascii(c.encode_utf8(&mut buf)).to_lowercase();
        let cp = c as u32;
        let mut t: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        if (0x12B8..=0x12BF).contains(&cp) {
            // Tigrinya ኸ row: kh.
            t = t.strip_prefix('h').map(|r| format!("kh{r}")).unwrap_or(t);
        }
        if let Some(rest) = t.strip_prefix("ch") {
            t = format!("tsh{rest}");
        }
        latin.push_str(&t.replace("tsh", "ch"));
        phon.push_str(&t);
        let next_is_fidel = chars.get(i + 1).is_some_and(|&n| is_fidel(n));
        if sixth_order(c) && next_is_fidel {
            phon.push('*');
        }
    }
    (latin, phon)
}

/// Expansions of an abbreviated first element (`G/`, `ገ/`): the full
/// prefix, in the script of the abbreviation.
///
/// G/ = Gebre (ገብረ), W/ = Wolde (ወልደ), T/ = Tekle (ተኽለ) or Tesfa (ተስፋ),
/// H/ = Habte (ሃብተ) or Haile (ሃይለ): these four are the abbreviations
/// Eritrean and Ethiopian documents use; T/ and H/ are ambiguous and give
/// both expansions.
pub(crate) fn abbreviation(prefix: char) -> &'static [&'static str] {
    match prefix {
        'g' => &["gebre"],
        'w' => &["wolde"],
        't' => &["tekle", "tesfa"],
        'h' => &["habte", "haile"],
        'ገ' => &["ገብረ"],
        'ወ' => &["ወልደ"],
        'ተ' => &["ተኽለ", "ተስፋ"],
        'ሃ' | 'ሀ' | 'ሓ' | 'ኃ' | 'ሐ' => &["ሃብተ", "ሃይለ"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables() {
        assert_eq!(transliterate("ተስፋይ"), ("tesfay".into(), "tes*fay".into()));
        assert_eq!(transliterate("ገብረመድህን").0, "gebremedhn");
        assert_eq!(transliterate("ገብረመድህን").1, "geb*remed*h*n");
        assert_eq!(transliterate("ወልደማርያም").0, "weldemaryam");
        assert_eq!(transliterate("ተኽለ").0, "tekhle");
        assert_eq!(transliterate("ጸጋ").0, "tsega");
        assert_eq!(transliterate("ኣስቴር").0, "aster");
    }

    #[test]
    fn abbreviations() {
        assert_eq!(abbreviation('g'), ["gebre"]);
        assert_eq!(abbreviation('ወ'), ["ወልደ"]);
        assert_eq!(abbreviation('h').len(), 2);
        assert!(abbreviation('x').is_empty());
    }
}
