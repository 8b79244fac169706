//! Unicode normalisation, case folding, Latin accent folding, word splitting
//! and script detection: the steps every name goes through before any
//! script-specific work.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_script::{Script, UnicodeScript};

/// The script of a token, as far as matching cares.
///
/// Scripts with their own treatment get a variant; every other script is
/// transliterated with `any_ascii` and reported as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenScript {
    /// Latin, with any accents.
    Latin,
    /// Arabic script, including Persian, Dari, Pashto, Urdu and Kurdish letters.
    Arabic,
    /// Cyrillic: Ukrainian, Russian and other languages.
    Cyrillic,
    /// Ge'ez (Ethiopic): Tigrinya, Amharic, Tigre.
    Ethiopic,
    /// Any other script, transliterated with `any_ascii`.
    Other(Script),
    /// Letters of more than one script in one token (often a homoglyph typo).
    Mixed,
    /// No letters at all (digits, punctuation).
    Unknown,
}

impl TokenScript {
    /// Scripts that do not write short vowels: Latin spellings of their
    /// names can only be compared on consonants.
    pub fn is_abjad(self) -> bool {
        matches!(
            self,
            TokenScript::Arabic
                | TokenScript::Other(Script::Hebrew)
                | TokenScript::Other(Script::Syriac)
                | TokenScript::Other(Script::Thaana)
        )
    }
}

/// The script of `s`, ignoring characters common to all scripts (digits,
/// punctuation) and combining marks.
pub fn script_of(s: &str) -> TokenScript {
    let mut found: Option<Script> = None;
    for c in s.chars() {
        // ASCII fast path: the script table lookup dominates precompute otherwise.
        let sc = if c.is_ascii() {
            if c.is_ascii_alphabetic() {
                Script::Latin
            } else {
                Script::Common
            }
        } else {
            c.script()
        };
        if matches!(sc, Script::Common | Script::Inherited | Script::Unknown) {
            continue;
        }
        match found {
            None => found = Some(sc),
            Some(f) if f == sc => {}
            Some(_) => return TokenScript::Mixed,
        }
    }
    match found {
        None => TokenScript::Unknown,
        Some(Script::Latin) => TokenScript::Latin,
        Some(Script::Arabic) => TokenScript::Arabic,
        Some(Script::Cyrillic) => TokenScript::Cyrillic,
        Some(Script::Ethiopic) => TokenScript::Ethiopic,
        Some(other) => TokenScript::Other(other),
    }
}

/// Invisible characters that carry no letters: zero-width (non-)joiners and
/// spaces, bidi controls, the Arabic letter mark, soft hyphen, BOM. Persian
/// writes a ZWNJ inside one name (رحمت‌الله): removing it joins the parts.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// Apostrophe-like characters, all read as one glottal/elision mark.
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BB}' | '\u{02BF}' | '\u{02BE}' | '`' | '\u{00B4}'
    )
}

/// NFKC (folds presentation forms such as Arabic ligatures and full-width
/// letters), lower case, invisible characters removed. Keeps every letter
/// and accent: this is the form `Level::Exact` compares.
pub fn fold_case(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.nfkc() {
        if is_invisible(c) {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    // Lower-casing can produce decomposed sequences (İ → i̇); recompose.
    out.nfc().collect()
}

/// Latin letters that NFD does not decompose, mapped to their usual ASCII.
fn latin_special(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        'ŋ' => "ng",
        'ə' => "e",
        'ɛ' => "e",
        'ɔ' => "o",
        'ʃ' => "sh",
        'ʒ' => "zh",
        'ɣ' => "gh",
        'ƙ' => "k",
        'ɗ' => "d",
        'ɓ' => "b",
        'ƴ' => "y",
        _ => return None,
    })
}

/// Strips accents from Latin letters (José → jose, Müller → muller,
/// Ş → s, Ç → c), maps special letters (ß → ss, ł → l), lower-cases and
/// turns apostrophes into `'`. Marks on letters of other scripts are kept:
/// Cyrillic й and ї are letters of their own, not и and і with an accent.
pub fn fold_latin(s: &str) -> String {
    if s.is_ascii() {
        return s
            .chars()
            .map(|c| {
                if is_apostrophe(c) {
                    '\''
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
    }
    let mut out = String::with_capacity(s.len());
    let mut last_base_latin = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            if !last_base_latin {
                out.push(c);
            }
            continue;
        }
        last_base_latin = c.is_ascii_alphabetic() || c.script() == Script::Latin;
        if is_invisible(c) {
            continue;
        }
        if is_apostrophe(c) {
            out.push('\'');
            continue;
        }
        for l in c.to_lowercase() {
            match latin_special(l) {
                Some(s) => out.push_str(s),
                None => out.push(l),
            }
        }
    }
    out.nfc().collect()
}

/// Other spellings a Latin name with these letters is often given: German
/// umlauts written out (Müller → mueller) and the digraphs that š ş ș ž č ç
/// stand for (Ayşe → ayshe, Čolić → cholic, Çelik → chelik). The plain
/// stripped form stays the primary one.
pub fn latin_alternatives(s: &str) -> Vec<String> {
    if s.is_ascii() {
        return Vec::new();
    }
    let lower: String = s.nfc().flat_map(char::to_lowercase).collect();
    let mut out = Vec::new();
    let expand = |map: &dyn Fn(char) -> Option<&'static str>| -> Option<String> {
        if !lower.chars().any(|c| map(c).is_some()) {
            return None;
        }
        let mut t = String::with_capacity(lower.len() + 4);
        for c in lower.chars() {
            match map(c) {
                Some(r) => t.push_str(r),
                None => t.push(c),
            }
        }
        Some(fold_latin(&t))
    };
    let german = |c: char| match c {
        'ä' => Some("ae"),
        'ö' => Some("oe"),
        'ü' => Some("ue"),
        _ => None,
    };
    let digraphs = |c: char| match c {
        'š' | 'ş' | 'ș' => Some("sh"),
        'ž' => Some("zh"),
        'č' | 'ç' => Some("ch"),
        _ => None,
    };
    out.extend(expand(&german));
    out.extend(expand(&digraphs));
    out
}

/// Arabic-Indic and Extended (Persian) digits to ASCII.
pub(crate) fn ascii_digit(c: char) -> Option<char> {
    match c {
        '\u{0660}'..='\u{0669}' => char::from_digit(c as u32 - 0x0660, 10),
        '\u{06F0}'..='\u{06F9}' => char::from_digit(c as u32 - 0x06F0, 10),
        _ => None,
    }
}

/// One word of a raw name, after case folding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// Case-folded text (NFKC, lower case), apostrophes unified to `'`.
    pub text: String,
    /// Written with a trailing full stop (`M.`), a hint that it is an initial.
    pub dotted: bool,
    /// Eritrean/Ethiopian abbreviated prefix (`G/Medhin`): the prefix letter.
    pub abbrev: Option<char>,
}

/// Letters that abbreviate the first element of an Eritrean/Ethiopian
/// compound name when written before a slash (G/Medhin, ገ/መድህን).
pub(crate) fn is_abbrev_prefix(c: char) -> bool {
    matches!(
        c,
        'g' | 'w' | 't' | 'h' | 'ገ' | 'ወ' | 'ተ' | 'ሃ' | 'ሀ' | 'ሓ' | 'ኃ' | 'ሐ'
    )
}

/// Splits a case-folded name into words on whitespace and punctuation.
/// Letters, digits, combining marks and apostrophes belong to words; a
/// slash after a single abbreviation letter (`G/Medhin`) is kept as an
/// abbreviation rather than a split.
pub(crate) fn split_words(folded: &str) -> Vec<Word> {
    let chars: Vec<char> = folded
        .chars()
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut abbrev = None;
    let in_word = |c: char| c.is_alphanumeric() || is_combining_mark(c) || c == '\'';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_word(c) {
            cur.push(c);
        } else if c == '/'
            && abbrev.is_none()
            && cur.chars().count() == 1
            && cur.chars().all(is_abbrev_prefix)
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
        {
            abbrev = cur.chars().next();
            cur.clear();
        } else {
            push_word(&mut words, &mut cur, &mut abbrev, c == '.');
        }
        i += 1;
    }
    push_word(&mut words, &mut cur, &mut abbrev, false);
    words
}

fn push_word(words: &mut Vec<Word>, cur: &mut String, abbrev: &mut Option<char>, dotted: bool) {
    let text = cur.trim_matches('\'');
    if !text.is_empty() {
        words.push(Word {
            text: text.to_string(),
            dotted,
            abbrev: abbrev.take(),
        });
    }
    cur.clear();
    *abbrev = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_folding() {
        assert_eq!(fold_latin("José"), "jose");
        assert_eq!(fold_latin("MÜLLER"), "muller");
        assert_eq!(fold_latin("Çelik Şahin"), "celik sahin");
        assert_eq!(fold_latin("Łukasz Øyvind Straße"), "lukasz oyvind strasse");
        assert_eq!(fold_latin("Đorđe"), "dorde");
        assert_eq!(fold_latin("A’isha"), "a'isha");
        assert_eq!(fold_latin("A`isha O'Brien"), "a'isha o'brien");
        assert_eq!(fold_latin("Meḥari ʿAbd"), "mehari 'abd");
        // Cyrillic й and ї keep their marks: they are distinct letters.
        assert_eq!(fold_latin("Андрій"), "андрій");
    }

    #[test]
    fn alternatives() {
        assert_eq!(latin_alternatives("Müller"), vec!["mueller"]);
        assert_eq!(latin_alternatives("Ayşe"), vec!["ayshe"]);
        assert!(latin_alternatives("Jose").is_empty());
    }

    #[test]
    fn case_folding_keeps_accents_and_folds_presentation_forms() {
        assert_eq!(fold_case("JOSÉ"), "josé");
        // Arabic presentation forms (as copied from PDFs) become letters.
        assert_eq!(fold_case("\u{FEE3}\u{FEA4}\u{FEE4}\u{FEAA}"), "محمد");
        // ZWNJ inside a Persian compound is dropped.
        assert_eq!(fold_case("رحمت\u{200C}الله"), "رحمتالله");
    }

    #[test]
    fn scripts() {
        assert_eq!(script_of("Mohammed"), TokenScript::Latin);
        assert_eq!(script_of("محمد"), TokenScript::Arabic);
        assert_eq!(script_of("گل"), TokenScript::Arabic);
        assert_eq!(script_of("Олександр"), TokenScript::Cyrillic);
        assert_eq!(script_of("ተስፋይ"), TokenScript::Ethiopic);
        assert_eq!(script_of("Γιώργος"), TokenScript::Other(Script::Greek));
        // Latin O + Cyrillic льга: a homoglyph mix.
        assert_eq!(script_of("Oльга"), TokenScript::Mixed);
        assert_eq!(script_of("123 -"), TokenScript::Unknown);
        assert!(TokenScript::Arabic.is_abjad());
    }

    #[test]
    fn words() {
        let w = split_words("maría-josé  lópez, m. g/medhin o'brien");
        let t: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(t, ["maría", "josé", "lópez", "m", "medhin", "o'brien"]);
        assert!(w[3].dotted);
        assert_eq!(w[4].abbrev, Some('g'));
        let w = split_words("ገ/መድህን");
        assert_eq!(w[0].abbrev, Some('ገ'));
        assert_eq!(w[0].text, "መድህን");
        // A slash between words is a separator.
        let w = split_words("ahmad/ahmed");
        assert_eq!(w.len(), 2);
        assert_eq!(split_words("  ..  ").len(), 0);
    }
}
