//! From a raw name string to its precomputed [`NameKey`]: words, scripts,
//! compounds, particles, and the per-token comparison forms.

use super::compound::{abd_joined, is_abd_piece, is_article, is_particle, joined_article_stripped};
use super::latin::somali_like;
use super::text::{TokenScript, Word, fold_case, fold_latin, latin_alternatives, script_of, split_words};
use super::token::{Phon, Token, TokenInput, TokenInterner};
use super::{arabic, cyrillic, ethiopic, nickname};

/// Most tokens kept per name (the rest are dropped): alignment works on
/// fixed-size arrays. Name chains longer than this do not occur in practice.
pub const MAX_TOKENS: usize = 10;

/// A name prepared for matching: computed once per name, then compared
/// with [`compare_names`](super::compare_names) any number of times.
#[derive(Debug, Clone)]
pub struct NameKey {
    tokens: Box<[Token]>,
    joins: Box<[Join]>,
}

/// Two or three adjacent tokens written as one (Gebre Medhin → Gebremedhin,
/// گل بی بی → گلبیبی), precomputed so that split and joined spellings meet.
#[derive(Debug, Clone)]
pub(crate) struct Join {
    pub start: u8,
    pub len: u8,
    pub token: Token,
}

impl NameKey {
    /// Normalises, splits and precomputes `raw` (any script, any mix of
    /// given, father's, grandfather's and family names). Never panics.
    pub fn new(raw: &str) -> NameKey {
        let folded = fold_case(raw);
        let words = split_words(&folded);
        let inputs = assemble(&words);
        let tokens: Vec<Token> = inputs.into_iter().take(MAX_TOKENS).map(Token::build).collect();
        let joins = joins(&tokens);
        NameKey {
            tokens: tokens.into_boxed_slice(),
            joins: joins.into_boxed_slice(),
        }
    }

    /// Makes the tokens share the interner's copies of equal tokens (see
    /// [`TokenInterner`]). Compares exactly as before.
    pub fn intern(&mut self, interner: &mut TokenInterner) {
        for t in self.tokens.iter_mut() {
            interner.intern(t);
        }
        for j in self.joins.iter_mut() {
            interner.intern(&mut j.token);
        }
    }

    /// Lets the interner drop the tokens only this name still uses (call
    /// before dropping the name; see [`TokenInterner::release`]).
    pub fn release(&self, interner: &mut TokenInterner) {
        for t in self.tokens.iter() {
            interner.release(t);
        }
        for j in self.joins.iter() {
            interner.release(&j.token);
        }
    }

    /// The tokens, in the order written (particles and detached articles removed).
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Whether the name had no letters at all.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub(crate) fn joins(&self) -> &[Join] {
        &self.joins
    }
}

fn joins(tokens: &[Token]) -> Vec<Join> {
    let mut out = Vec::new();
    for len in 2..=3usize {
        for start in 0..tokens.len().saturating_sub(len - 1) {
            let span = &tokens[start..start + len];
            let script = span[0].script();
            if span.iter().any(|t| t.script() != script || t.initial().is_some()) {
                continue;
            }
            let source: String = span.iter().map(|t| t.source()).collect();
            // Split compounds are short (Gebre Medhin, Gul Bibi, Abdi Rahman,
            // Tekle Haymanot): longer runs are separate names, and skipping
            // them halves the precompute of long names.
            let limit = if len == 2 { 16 } else { 12 };
            if source.chars().count() > limit {
                continue;
            }
            let word = Word {
                text: source,
                dotted: false,
                abbrev: None,
            };
            let mut input = word_input(&word, false);
            // Written apart, so never the same text as the joined spelling.
            input.exact = span.iter().map(Token::text).collect::<Vec<_>>().join(" ");
            out.push(Join {
                start: start as u8,
                len: len as u8,
                token: Token::build(input),
            });
        }
    }
    out
}

/// A word with its script and primary key (folded Latin, cleaned Arabic).
struct Piece<'a> {
    word: &'a Word,
    script: TokenScript,
    key: String,
}

fn piece(word: &Word) -> Piece<'_> {
    let script = script_of(&word.text);
    let key = match script {
        TokenScript::Latin => latin_key(&word.text),
        TokenScript::Arabic => arabic::clean_arabic(&word.text),
        _ => word.text.clone(),
    };
    Piece { word, script, key }
}

/// Groups words into tokens: drops particles and detached articles, joins
/// Abd- compounds written apart.
fn assemble(words: &[Word]) -> Vec<TokenInput> {
    let pieces: Vec<Piece> = words.iter().map(piece).collect();
    let n = pieces.len();
    let mut out = Vec::with_capacity(n);
    let mut article = false;
    let mut i = 0;
    while i < n {
        let p = &pieces[i];
        let next = pieces.get(i + 1);
        let middle = i > 0 && i + 1 < n;
        if middle && !p.word.dotted && is_particle(&p.key) {
            i += 1;
            continue;
        }
        if p.script == TokenScript::Latin
            && let Some(nx) = next
            && nx.script == TokenScript::Latin
            && is_article(&p.key, &nx.key)
        {
            article = true;
            i += 1;
            continue;
        }
        // Abd + (article) + X written apart.
        if let Some(nx) = next {
            if p.script == TokenScript::Latin && nx.script == TokenScript::Latin && is_abd_piece(&p.key) {
                let mut j = i + 1;
                if let Some(after) = pieces.get(j + 1)
                    && (is_article(&pieces[j].key, &after.key)
                        || matches!(pieces[j].key.as_str(), "al" | "el" | "ul"))
                {
                    j += 1;
                }
                let x = &pieces[j];
                let x_key = joined_article_stripped(&x.key).unwrap_or(&x.key);
                let x_key = if x_key.starts_with("l") && x_key.ends_with("ah") && x_key.len() <= 4 {
                    "allah"
                } else {
                    x_key
                };
                out.push(latin_abd(&pieces[i..=j], x_key));
                article = false;
                i = j + 1;
                continue;
            }
            if p.script == TokenScript::Arabic && nx.script == TokenScript::Arabic && p.key == "عبد" {
                let mut input = word_input(
                    &Word {
                        text: format!("{}{}", p.word.text, nx.word.text),
                        dotted: false,
                        abbrev: None,
                    },
                    false,
                );
                input.exact = format!("{} {}", p.word.text, nx.word.text);
                out.push(input);
                i += 2;
                continue;
            }
        }
        out.push(word_input(p.word, article));
        article = false;
        i += 1;
    }
    out
}

/// Folded Latin key: accents stripped, apostrophes dropped, any letter
/// still outside ASCII transliterated.
fn latin_key(text: &str) -> String {
    ascii_only(&fold_latin(text))
}

fn ascii_only(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            let mut buf = [0u8; 4];
            out.extend(
                any_ascii::any_ascii(c.encode_utf8(&mut buf))
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase()),
            );
        }
    }
    out
}

fn latin_abd(parts: &[Piece], x: &str) -> TokenInput {
    let (latin, phon) =
        abd_joined(&format!("abdul{x}")).unwrap_or_else(|| (format!("abdul{x}"), format!("abdul|{x}")));
    let exact = parts
        .iter()
        .map(|p| p.word.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let source: String = parts.iter().map(|p| p.word.text.as_str()).collect();
    TokenInput {
        exact,
        script: TokenScript::Latin,
        forms: vec![latin.clone()],
        latin,
        phons: vec![Phon::Latin(phon)],
        phonetic_extra: Vec::new(),
        article: false,
        source,
    }
}

/// The Somali-orthography reading of a Latin spelling (c = ayn, x = ħ), for
/// phonetic codes: Maxamed → mahamed, Cabdi → abdi.
fn somali_reading(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'x' => out.push('h'),
            b'c' if !matches!(b.get(i + 1), Some(b'h' | b'k')) => {}
            _ => out.push(c as char),
        }
    }
    out
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !s.is_empty() && !v.contains(&s) {
        v.push(s);
    }
}

/// The token input for one word.
pub(crate) fn word_input(word: &Word, article: bool) -> TokenInput {
    let text = word.text.as_str();
    let script = script_of(text);
    let exact = match word.abbrev {
        Some(a) => format!("{a}/{text}"),
        None => text.to_string(),
    };
    let mut input = TokenInput {
        exact,
        script,
        forms: Vec::new(),
        latin: String::new(),
        phons: Vec::new(),
        phonetic_extra: Vec::new(),
        article,
        source: text.to_string(),
    };
    match script {
        TokenScript::Latin => latin_word(word, &mut input),
        TokenScript::Arabic => arabic_word(word, &mut input),
        TokenScript::Cyrillic => {
            let national = cyrillic::ukrainian_national(text);
            let russian = cyrillic::russian_style(text);
            for f in [national, russian] {
                let f = ascii_only(&f);
                push_unique(&mut input.forms, f);
            }
            input.phons = input.forms.iter().cloned().map(Phon::Literal).collect();
        }
        TokenScript::Ethiopic => {
            let expansions: Vec<String> = match word.abbrev.map(ethiopic::abbreviation) {
                Some(prefixes) if !prefixes.is_empty() => {
                    prefixes.iter().map(|p| format!("{p}{text}")).collect()
                }
                _ => vec![text.to_string()],
            };
            for e in &expansions {
                let (latin, phon) = ethiopic::transliterate(e);
                if !input.forms.contains(&latin) && !latin.is_empty() {
                    input.forms.push(latin);
                    input.phons.push(Phon::Literal(phon));
                }
            }
            if let Some(first) = expansions.first() {
                input.source = first.clone();
            }
        }
        TokenScript::Unknown => {
            push_unique(&mut input.forms, text.to_string());
        }
        TokenScript::Other(_) | TokenScript::Mixed => {
            let a = ascii_only(&any_ascii::any_ascii(text));
            push_unique(&mut input.forms, a.clone());
            input.phons.push(Phon::Literal(a));
        }
    }
    if input.forms.is_empty() {
        input.forms.push(input.exact.clone());
    }
    if input.latin.is_empty() {
        input.latin = input.forms[0].clone();
    }
    input
}

fn latin_word(word: &Word, input: &mut TokenInput) {
    let text = word.text.as_str();
    let primary = latin_key(text);
    let mut spellings = vec![primary.clone()];
    for alt in latin_alternatives(text) {
        push_unique(&mut spellings, ascii_only(&alt));
    }
    // G/Medhin → gebremedhin (H/ and T/ have two expansions).
    if let Some(prefixes) = word.abbrev.map(ethiopic::abbreviation)
        && !prefixes.is_empty()
    {
        spellings = prefixes.iter().map(|p| format!("{p}{primary}")).collect();
        input.source = spellings[0].clone();
    }
    for s in &spellings {
        if let Some((latin, phon)) = abd_joined(s) {
            push_unique(&mut input.forms, latin);
            input.phons.push(Phon::Latin(phon));
            continue;
        }
        push_unique(&mut input.forms, s.clone());
        input.phons.push(Phon::Latin(s.clone()));
        // Ma. José: Ma. is María on Latin American documents.
        let expanded = if word.dotted && s == "ma" {
            Some("maria")
        } else {
            nickname::expansion(s)
        };
        if let Some(full) = expanded {
            push_unique(&mut input.forms, full.to_string());
            input.phons.push(Phon::Latin(full.to_string()));
        }
        if let Some(bare) = joined_article_stripped(s) {
            input.phons.push(Phon::Latin(bare.to_string()));
        }
        if somali_like(s.as_bytes()) {
            let somali = somali_reading(s);
            // Cabdiraxmaan = Abdirahman: the compound shows once c and x are read.
            if let Some((_, phon)) = abd_joined(&somali) {
                input.phons.push(Phon::Latin(phon));
            }
            input.phonetic_extra.push(somali);
        }
    }
    input.latin = input.forms.first().cloned().unwrap_or_default();
}

fn arabic_word(word: &Word, input: &mut TokenInput) {
    let stripped = arabic::strip_arabic_marks(&word.text);
    let (body, article) = match arabic::strip_article(&stripped) {
        // الله is Allah, not an article on له.
        Some(rest) if stripped != "الله" => (rest.to_string(), true),
        _ => (stripped.clone(), false),
    };
    input.article |= article;
    // Joins use the article-less word: نصر + الدين → نصردين (Nasreddine).
    input.source = body.clone();
    if let Some(x) = arabic::abd_compound(&body) {
        let letters: Vec<char> = x.chars().collect();
        input.forms.push(format!("عبد{}", arabic::clean_arabic(x)));
        input.latin = format!("abdul{}", arabic::render(&letters));
        input.phons.push(Phon::Arabic {
            prefix: Some("abdul|"),
            letters,
        });
        return;
    }
    let letters: Vec<char> = body.chars().collect();
    input.forms.push(arabic::clean_arabic(&body));
    input.latin = arabic::render(&letters);
    input.phons.push(Phon::Arabic {
        prefix: None,
        letters,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forms(raw: &str) -> Vec<String> {
        NameKey::new(raw)
            .tokens()
            .iter()
            .map(|t| t.forms().next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn splits_and_assembles() {
        assert_eq!(
            forms("María José López García"),
            ["maria", "jose", "lopez", "garcia"]
        );
        assert_eq!(forms("Abdul Rahman"), ["abdulrahman"]);
        assert_eq!(forms("Abd al-Rahman Hassan"), ["abdulrahman", "hassan"]);
        assert_eq!(forms("Abd-ur-Rahman"), ["abdulrahman"]);
        assert_eq!(forms("ABDERRAHMANE"), ["abdulrahmane"]);
        assert_eq!(forms("Abd Allah"), ["abdullah"]);
        assert_eq!(forms("Mohammed bin Salman"), ["mohammed", "salman"]);
        assert_eq!(forms("Ben Ali"), ["ben", "ali"]);
        assert_eq!(forms("Hussein al-Masri"), ["hussein", "masri"]);
        assert_eq!(forms("Nasr ad-Din"), ["nasr", "din"]);
        assert_eq!(forms("G/Medhin W/Mariam"), ["gebremedhin", "woldemariam"]);
        assert_eq!(forms("عبد الرحمن"), ["عبدرحمن"]);
        assert_eq!(forms("عبدالرحمن"), ["عبدرحمن"]);
        assert_eq!(forms("الحسين"), ["حسين"]);
        assert_eq!(forms("Олександр"), ["oleksandr"]);
        assert_eq!(forms("Mohd. Ali"), ["mohd", "ali"]);
        assert_eq!(forms("Γιώργος"), ["giorgos"]);
        assert!(NameKey::new(" - ").is_empty());
    }

    #[test]
    fn joins_are_precomputed() {
        let k = NameKey::new("Gul Bibi");
        assert_eq!(k.joins().len(), 1);
        assert_eq!(k.joins()[0].token.forms().next(), Some("gulbibi"));
        let k = NameKey::new("گل بی بی");
        assert_eq!(k.joins().len(), 3);
    }
}
