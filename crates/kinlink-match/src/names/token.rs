//! One name token with its precomputed comparison forms, and the graded
//! comparison of two tokens.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::Arc;

use rphonetic::DoubleMetaphone;

use super::jw::jaro_winkler;
use super::skeleton::{Agreement, Skeleton, readings};
use super::text::TokenScript;
use super::{arabic, latin, nickname};

/// How alike two name tokens are, from [`Level::Different`] to
/// [`Level::Exact`]. These are the comparison levels of the probabilistic
/// model; the order is strength of evidence (`Ord`: `Exact` is greatest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Nothing connects the two.
    Different,
    /// One side is an initial and the other starts with it (M. / Mohammed).
    Initial,
    /// Jaro–Winkler ≥ 0.85, or the same consonants with contradicting vowels
    /// (related but different names: Hassan/Hussein, Ali/Alia, Amin/Amina),
    /// or one skeleton extending the other (Amina/Aminata). Never more.
    Somewhat,
    /// Jaro–Winkler ≥ 0.92 on the Latin forms (typos, one letter more or less).
    Close,
    /// Known nickname, short form or cross-language equivalent
    /// (Pepe/José, Sasha/Oleksandr, Olha/Olga).
    Nickname,
    /// Same Double Metaphone code (Fatima/Fatma, Alexander/Oleksandr).
    Phonetic,
    /// Same consonant skeleton with nothing contradicting: across scripts and
    /// transliterations (محمد/Mohammed, Xasan/Hassan, Hussein/Husayn).
    Skeleton,
    /// Same after normalisation: accents, case, Arabic spelling variants,
    /// compounds and abbreviations (José/Jose, أحمد/احمد, Abdul Rahman/
    /// Abdulrahman, G/Medhin/Gebremedhin, Ольга/Olga).
    Normalised,
    /// The same text (ignoring case and Unicode form).
    Exact,
}

/// Jaro–Winkler threshold for [`Level::Close`].
pub const CLOSE_JW: f64 = 0.92;
/// Jaro–Winkler threshold for [`Level::Somewhat`].
pub const SOMEWHAT_JW: f64 = 0.85;
/// A shared Double Metaphone code counts only if the spellings are not far
/// apart (DM drops h: Mehmet and Mahmoud are both MMT).
const PHONETIC_MIN_JW: f64 = 0.75;

/// What a skeleton is read from.
#[derive(Debug, Clone)]
pub(crate) enum Phon {
    /// Folded Latin spelling (with `|` compound boundaries).
    Latin(String),
    /// A transliteration from another script (with `*` for unwritten
    /// vowels), read literally: no Somali or final-h vowel readings.
    Literal(String),
    /// Arabic-script letters (marks stripped), after an optional Latin
    /// compound prefix (`abdul|`).
    Arabic {
        prefix: Option<&'static str>,
        letters: Vec<char>,
    },
}

/// Everything needed to build a [`Token`], produced by the name splitter.
#[derive(Debug, Clone)]
pub(crate) struct TokenInput {
    pub exact: String,
    pub script: TokenScript,
    /// Forms compared for [`Level::Normalised`]; the first is the primary.
    pub forms: Vec<String>,
    /// Latin form for string similarity, phonetic codes and display.
    pub latin: String,
    pub phons: Vec<Phon>,
    /// Further Latin readings for phonetic codes only (Somali orthography).
    pub phonetic_extra: Vec<String>,
    pub article: bool,
    /// Source text of the token (its words joined), for building joins.
    pub source: String,
}

/// A name token with every comparison form precomputed. Cheap to clone:
/// the forms are shared (`Arc`), and a [`TokenInterner`] makes equal tokens
/// of many names share one copy.
#[derive(Debug, Clone)]
pub struct Token(Arc<TokenData>);

/// The comparison forms of a [`Token`].
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct TokenData {
    exact: Box<str>,
    script: TokenScript,
    forms: Box<[Box<str>]>,
    latin: Box<str>,
    skeletons: Box<[Skeleton]>,
    phonetic: Box<[Box<str>]>,
    nick: Box<[u16]>,
    initial: Option<char>,
    article: bool,
    pub(crate) source: Box<str>,
}

/// Most skeletons kept per token.
const MAX_TOKEN_SKELETONS: usize = 12;

impl Token {
    pub(crate) fn build(input: TokenInput) -> Token {
        let mut skeletons = Vec::new();
        for phon in &input.phons {
            let mut these = Vec::new();
            match phon {
                Phon::Latin(s) => readings(|ch, ph| latin::phones(s.as_bytes(), false, ch, ph), &mut these),
                Phon::Literal(s) => readings(|ch, ph| latin::phones(s.as_bytes(), true, ch, ph), &mut these),
                Phon::Arabic { prefix, letters } => readings(
                    |ch, ph| {
                        if let Some(p) = prefix {
                            latin::phones(p.as_bytes(), true, ch, ph);
                        }
                        arabic::phones(letters, ch, ph);
                    },
                    &mut these,
                ),
            }
            for s in these {
                if skeletons.len() < MAX_TOKEN_SKELETONS && !skeletons.contains(&s) {
                    skeletons.push(s);
                }
            }
        }
        let vocalised = !input.script.is_abjad();
        let mut phonetic: Vec<Box<str>> = Vec::new();
        if vocalised {
            let dm = DoubleMetaphone::new(None);
            let latin_forms = input.forms.iter().filter(|f| f.is_ascii());
            for f in latin_forms.chain(input.phonetic_extra.iter()) {
                let clean: String = f.chars().filter(char::is_ascii_alphabetic).collect();
                if clean.is_empty() {
                    continue;
                }
                let r = dm.double_metaphone(&clean);
                for code in [r.primary(), r.alternate()] {
                    if !code.is_empty() && !phonetic.iter().any(|c| **c == *code) {
                        phonetic.push(code.into_boxed_str());
                    }
                }
            }
        }
        let mut nick: Vec<u16> = Vec::new();
        for f in &input.forms {
            for &g in nickname::groups(f) {
                if !nick.contains(&g) {
                    nick.push(g);
                }
            }
        }
        if vocalised {
            nickname::groups_by_skeleton(&skeletons, &mut nick);
        }
        let mut letters = input.latin.chars().filter(|c| c.is_alphabetic());
        let initial = match (letters.next(), letters.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        };
        Token(Arc::new(TokenData {
            exact: input.exact.into_boxed_str(),
            script: input.script,
            forms: input.forms.into_iter().map(String::into_boxed_str).collect(),
            latin: input.latin.into_boxed_str(),
            skeletons: skeletons.into_boxed_slice(),
            phonetic: phonetic.into_boxed_slice(),
            nick: nick.into_boxed_slice(),
            initial,
            article: input.article,
            source: input.source.into_boxed_str(),
        }))
    }

    /// Source text of the token (its words joined), for building joins.
    pub(crate) fn source(&self) -> &str {
        &self.0.source
    }

    /// The token as written (case-folded, NFKC).
    pub fn text(&self) -> &str {
        &self.0.exact
    }

    /// The script the token is written in.
    pub fn script(&self) -> TokenScript {
        self.0.script
    }

    /// The normalised forms (first = primary): folded Latin, or cleaned
    /// Arabic script, plus spelling alternatives.
    pub fn forms(&self) -> impl Iterator<Item = &str> {
        self.0.forms.iter().map(|f| &**f)
    }

    /// A Latin rendering: the folded spelling, a transliteration, or for
    /// Arabic script the consonants and long vowels (`mhmd`, `fatma`).
    pub fn latin(&self) -> &str {
        &self.0.latin
    }

    /// The consonant skeletons (one per reading; the first is the most
    /// likely). Their strings make good blocking keys.
    pub fn skeletons(&self) -> &[Skeleton] {
        &self.0.skeletons
    }

    /// Double Metaphone codes of the Latin forms (empty for scripts that do
    /// not write vowels, where DM would only see consonant clusters).
    pub fn phonetic_codes(&self) -> impl Iterator<Item = &str> {
        self.0.phonetic.iter().map(|c| &**c)
    }

    /// The letter, if the token is an initial (`M.`).
    pub fn initial(&self) -> Option<char> {
        self.0.initial
    }

    /// Whether an Arabic article (al-, el-, ال) was written before it.
    pub fn had_article(&self) -> bool {
        self.0.article
    }

    /// Whether the script writes its vowels (not Arabic/Hebrew/Syriac).
    pub fn is_vocalised(&self) -> bool {
        !self.0.script.is_abjad()
    }

    /// The best agreement between any readings of the two tokens. Two
    /// Arabic-script tokens compare their first readings only: the letters
    /// are the same on both sides, and the other readings exist to meet
    /// Latin spellings (they would let رحیمی Rahimi meet رحیمه Rahima).
    pub fn skeleton_agreement(&self, other: &Token) -> Agreement {
        let same_abjad = self.0.script == other.0.script && self.0.script.is_abjad();
        let take = |t: &'_ Token| {
            if same_abjad {
                t.0.skeletons.len().min(1)
            } else {
                t.0.skeletons.len()
            }
        };
        let mut best = Agreement::Differ;
        for a in self.0.skeletons[..take(self)].iter() {
            for b in other.0.skeletons[..take(other)].iter() {
                let g = a.agreement(b);
                if g < best {
                    best = g;
                    if g == Agreement::Same {
                        return g;
                    }
                }
            }
        }
        best
    }

    /// Jaro–Winkler on the Latin forms; between a script without written
    /// vowels and another script, on the skeletons instead (محمد's `mhmd`
    /// against Mohammed's `mohammed` would say little). The flag is false
    /// when either side does not write vowels: the strings are then short
    /// consonant runs, and their similarity is weak evidence.
    pub fn string_similarity(&self, other: &Token) -> (f64, bool) {
        if self.is_vocalised() && other.is_vocalised() {
            return (jaro_winkler(&self.0.latin, &other.0.latin), true);
        }
        // Without written vowels (Arabic on either side) strings of three or
        // four consonants are alike by chance (أحمد/حامد): weak evidence.
        if self.0.script == other.0.script {
            return (jaro_winkler(&self.0.latin, &other.0.latin), false);
        }
        match (self.0.skeletons.first(), other.0.skeletons.first()) {
            (Some(a), Some(b)) => (jaro_winkler(a.as_str(), b.as_str()), false),
            _ => (jaro_winkler(&self.0.latin, &other.0.latin), false),
        }
    }

    /// The graded comparison of two tokens. Symmetric, and no allocation.
    pub fn compare(&self, other: &Token) -> Level {
        if Arc::ptr_eq(&self.0, &other.0) || self.0.exact == other.0.exact {
            return Level::Exact;
        }
        if self.0.forms.iter().any(|f| other.0.forms.contains(f)) {
            return Level::Normalised;
        }
        if self.0.initial.is_some() || other.0.initial.is_some() {
            return if self.initial_matches(other) || other.initial_matches(self) {
                Level::Initial
            } else {
                Level::Different
            };
        }
        let agreement = self.skeleton_agreement(other);
        if agreement == Agreement::Same {
            return Level::Skeleton;
        }
        // Same consonants with contradicting vowels, or one name extending
        // the other: related names, never more than Somewhat.
        let capped = matches!(agreement, Agreement::Hard | Agreement::Prefix);
        let (jw, reliable) = self.string_similarity(other);
        // Double Metaphone drops h and most vowels, so a shared code counts
        // with the same consonants or spellings that are close anyway
        // (Semere/Semhar, Mehmet/Mahmoud share codes).
        let phonetic_ok = (agreement == Agreement::Soft && jw >= PHONETIC_MIN_JW) || jw >= SOMEWHAT_JW;
        if !capped && phonetic_ok && self.shares_phonetic(other) {
            return Level::Phonetic;
        }
        if self.0.nick.iter().any(|g| other.0.nick.contains(g)) {
            return Level::Nickname;
        }
        if !capped && reliable && jw >= CLOSE_JW {
            return Level::Close;
        }
        if agreement == Agreement::Hard || (reliable && jw >= SOMEWHAT_JW) || jw >= CLOSE_JW {
            return Level::Somewhat;
        }
        Level::Different
    }

    fn initial_matches(&self, other: &Token) -> bool {
        match (self.0.initial, other.0.initial) {
            (Some(c), None) => other
                .0
                .forms
                .iter()
                .map(|f| &**f)
                .chain([&*other.0.latin])
                .any(|f| f.starts_with(c)),
            _ => false,
        }
    }

    /// A shared Double Metaphone code of three letters or more (codes such
    /// as AL are shared by Ali, Olha and Yuliia).
    fn shares_phonetic(&self, other: &Token) -> bool {
        self.0
            .phonetic
            .iter()
            .any(|c| c.len() >= 3 && other.0.phonetic.iter().any(|d| d == c))
    }
}

/// Makes equal tokens share one copy of their forms: names repeat across
/// records (a few thousand given names among a million children), so an
/// index holding every record's tokens once per distinct token needs a
/// fraction of the memory. Lookup is by content, so a token built anywhere
/// is interned to the same copy as an equal one built elsewhere.
#[derive(Debug, Default, Clone)]
pub struct TokenInterner {
    set: HashSet<Arc<TokenData>>,
}

impl TokenInterner {
    /// An empty interner.
    pub fn new() -> TokenInterner {
        TokenInterner::default()
    }

    /// Replaces `token` by the shared copy of an equal token, or makes it
    /// the shared copy.
    pub fn intern(&mut self, token: &mut Token) {
        if let Some(shared) = self.set.get(&*token.0) {
            token.0 = Arc::clone(shared);
        } else {
            self.set.insert(Arc::clone(&token.0));
        }
    }

    /// Drops the shared copy of `token` when nothing else holds it but
    /// `token` itself (call before dropping the last record that used it).
    pub fn release(&mut self, token: &Token) {
        if Arc::strong_count(&token.0) == 2
            && self.set.get(&*token.0).is_some_and(|s| Arc::ptr_eq(s, &token.0))
        {
            self.set.remove(&*token.0);
        }
    }

    /// Number of distinct tokens held.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether it holds no token.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// Remembers token comparisons within one query: a request compared with
/// its few hundred candidates meets the same token pairs again and again
/// (candidates are found because they share names; the whole name repeats
/// the given and family names' tokens), and with interned tokens an equal
/// token is the same allocation. Keyed by the two tokens' addresses, which
/// the lifetime `'t` keeps valid: the memo cannot outlive the tokens it
/// has seen, so an address cannot be reused for another token meanwhile.
///
/// [`TokenMemo::off`] compares without remembering (one-off pairs, such as
/// the random pairs that estimate `u`, would only fill the table).
#[derive(Debug)]
pub struct TokenMemo<'t> {
    map: Option<HashMap<(usize, usize), Level, foldhash::fast::FixedState>>,
    _tokens: PhantomData<&'t Token>,
}

impl Default for TokenMemo<'_> {
    fn default() -> Self {
        TokenMemo::new()
    }
}

impl<'t> TokenMemo<'t> {
    /// An empty memo (allocates on first use).
    pub fn new() -> TokenMemo<'t> {
        TokenMemo {
            map: Some(HashMap::with_hasher(foldhash::fast::FixedState::default())),
            _tokens: PhantomData,
        }
    }

    /// A memo that remembers nothing: every call compares.
    pub fn off() -> TokenMemo<'t> {
        TokenMemo {
            map: None,
            _tokens: PhantomData,
        }
    }

    /// [`Token::compare`], remembered. `compare` is symmetric, so the pair
    /// is keyed in address order.
    pub fn compare(&mut self, a: &'t Token, b: &'t Token) -> Level {
        let Some(map) = self.map.as_mut() else {
            return a.compare(b);
        };
        let (x, y) = (Arc::as_ptr(&a.0) as usize, Arc::as_ptr(&b.0) as usize);
        if x == y {
            return Level::Exact;
        }
        *map.entry((x.min(y), x.max(y))).or_insert_with(|| a.compare(b))
    }

    /// Number of distinct token pairs remembered.
    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, HashMap::len)
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
