//! The consonant skeleton: the comparison form that survives scripts without
//! short vowels, transliteration habits and spelling.
//!
//! A name is first read into *phones* by a script front-end (`latin.rs`,
//! `arabic.rs`): consonant classes that transliterations confuse are merged
//! (k/q/c/ck, kh/x/h, j/dj/zh/dzh, sh/ch/sch/tch, s/ts, w/v, ph/f, th/t,
//! dh/d; see `latin.rs` for the readings of ambiguous letters), and vowels
//! are kept only as *what kind* of vowel stands between two consonants.
//! The skeleton is then
//!
//! * the consonant classes in order, doubled letters collapsed, with a
//!   marker `a` when the name starts with a vowel (Ahmad → `ahmd`, Mahmoud →
//!   `mhmd`): the leading vowel is kept as a fact, its quality mostly not
//!   (Oleksandr/Aleksandr, Omar/Umar, Ismail/Esmail all meet);
//! * for every gap between two consonants, a small mask of what was written
//!   there (`a e i o u`, a long ī/ay, a long ū, "unknown": the script does
//!   not write short vowels, a long-vowel letter of such a script);
//! * the class of the final vowel ([`Ending`]): Ali/Alia, Amin/Amina,
//!   Karim/Karima are different names that share their consonants.
//!
//! Two skeletons *agree* ([`Agreement`]) when their consonants are equal and
//! no gap, ending or leading vowel contradicts the other. Vowel quality is
//! mostly free (Mohammed/Muhammad, Youssef/Yusuf, Khalid/Khaled); what
//! contradicts:
//!
//! * a long ī or diphthong (ee, ii, ai, ay, ei, ey, Arabic ي) against a gap
//!   with no i/e: Hussein/Hassan, حسين/Hassan, Kareem/Karam;
//! * a long ū (oo, uu, Arabic و) against a gap with no u/o: Mahmood/
//!   Mohammed, محمود/Mohammed. Latin `ou` is not long: French writes every
//!   u so (Mouhamad, Youssouf);
//! * a plain `a` against a plain `i` (Amir/Omar, Samir/Samar; Latin
//!   spellings alternate a~e and e~i, rarely a~i);
//! * a long vowel letter written in Arabic script against none written
//!   (both sides Arabic: أسامة/أسماء), or a written alef against a Latin
//!   plain i or u (سامية Samia / Sumaya);
//! * incompatible endings (see [`Ending`]), and a leading pure i against a
//!   leading a/o/u (Imani/Amani);
//! * for `mhmd` and `hmd` only, u/o against a/e in the last gap: Mohamed/
//!   Mohamud (Muhammad/Mahmud) differ in nothing else.
//!
//! An empty gap against a written vowel (Fatma/Fatima, Kbrom/Kibrom) is a
//! *soft* difference: not the same skeleton, but no evidence against.
//! Gaps of scripts that do not write short vowels are "unknown" and agree
//! with anything except a long vowel. Arabic script and Latin therefore
//! meet on the consonants: محمد and Mohammed both give `mhmd`.

// Vowel mask bits for one gap.
pub(crate) const A: u16 = 1;
pub(crate) const E: u16 = 2;
pub(crate) const I: u16 = 4;
pub(crate) const O: u16 = 8;
pub(crate) const U: u16 = 16;
/// Long ī or a diphthong ending in i/y: strong evidence of Arabic ي.
pub(crate) const LI: u16 = 32;
/// Long ū (oo, uu, Arabic و): strong evidence of و.
pub(crate) const LU: u16 = 64;
/// The script writes no short vowels here: anything may have been said.
pub(crate) const UNK: u16 = 256;
/// A long vowel *letter* of a script without short vowels (Arabic ا و ي):
/// against a gap where the same script wrote nothing it is a difference
/// (أسامة Osama / أسماء Asmaa).
pub(crate) const W: u16 = 512;
const QUALITY: u16 = A | E | I | O | U;

/// Consonant class symbols beyond plain letters.
pub(crate) const SH: u8 = b'S';
/// Marker for a name that starts with a vowel.
pub(crate) const LEAD: u8 = b'a';

/// Longest skeleton kept; longer names are truncated (they still compare).
pub const MAX_SKELETON: usize = 16;

/// One phone read from a name by a script front-end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ph {
    /// A consonant class (a skeleton symbol).
    C(u8),
    /// A vowel (mask of `A`..`UNK`).
    V(u16),
    /// Glottal stop / ayn / hamza / apostrophe: no consonant in the skeleton.
    Glottal,
    /// Boundary inside a compound (`abdul|rahman`): blocks digraphs only.
    Boundary,
}

/// Class of the vowel a name ends with.
///
/// Compatibility (symmetric; anything else is a contradiction):
/// * `None` ~ `E`, `O`, `U`: French and Amharic add a mute or short final
///   vowel (Abderrahmane/Abdulrahman, Alemu/Alem), Ukrainian -o against
///   Russian nothing (Kyrylo/Kirill, Pavlo/Pavel).
/// * `A` ~ `E`: Fatemeh/Fatima, Warsame/Warsama, Mustafe/Mustafa.
/// * `I` ~ `E`: Mussie/Muse.
/// * `O` ~ `U`: Woldu/Woldou.
///
/// `E` against `O`/`U` contradicts (Wolde/Weldu, José/Josué).
///
/// `A` against `None`/`I`/`O` is the gender of many names (Amin/Amina,
/// Ali/Alia, Mario/Maria) and stays a contradiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ending {
    /// Ends in a consonant.
    None,
    /// -a, -ah, -eh (Persian), -aa.
    A,
    /// A lone -e (French mute e, Amharic -e, Somali -e).
    E,
    /// -i, -y, -ie, -ee, and diphthongs -ay, -ai, -ey.
    I,
    /// -o.
    O,
    /// -u, -ou, -oo.
    U,
}

impl Ending {
    fn from_mask(m: u16) -> Ending {
        if m & I != 0 {
            Ending::I
        } else if m & U != 0 && m & O != 0 {
            Ending::U
        } else if m & A != 0 {
            Ending::A
        } else if m & O != 0 {
            Ending::O
        } else if m & U != 0 {
            Ending::U
        } else if m & E != 0 {
            Ending::E
        } else {
            Ending::None
        }
    }

    fn compatible(self, other: Ending) -> bool {
        use Ending::*;
        if self == other {
            return true;
        }
        matches!(
            (self, other),
            (None, O)
                | (O, None)
                | (None, U)
                | (U, None)
                | (O, U)
                | (U, O)
                | (E, None | A | I)
                | (None | A | I, E)
        )
    }
}

/// A consonant skeleton with its vowel gaps and ending. `Copy`, fixed size,
/// no heap: comparing two is a few byte compares.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Skeleton {
    sym: [u8; MAX_SKELETON],
    /// Vowels before the first consonant (a name starting with a vowel).
    lead: u16,
    /// `gaps[i]`: vowels written between `sym[i]` and `sym[i + 1]`.
    gaps: [u16; MAX_SKELETON],
    len: u8,
    ending: Ending,
}

impl std::fmt::Debug for Skeleton {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Skeleton({}", self.as_str())?;
        write!(
            f,
            " gaps={:?} ending={:?})",
            &self.gaps[..self.len().saturating_sub(1)],
            self.ending
        )
    }
}

/// How two skeletons relate, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Agreement {
    /// Same consonants, nothing contradicts.
    Same,
    /// Same consonants; one writes a vowel where the other writes none.
    Soft,
    /// Same consonants but a long vowel or the ending contradicts: related
    /// but different names (Hassan/Hussein, Ali/Alia).
    Hard,
    /// One skeleton extends the other (Amina/Aminata, Ahmad/Ahmadzai).
    Prefix,
    /// Different consonants.
    Differ,
}

impl Skeleton {
    /// The consonant symbols as text, e.g. `mhmd`, `ahmd`, `Sfk` (`S` is
    /// the sh/ch class, a leading `a` marks a leading vowel).
    pub fn as_str(&self) -> &str {
        // Symbols are ASCII by construction.
        std::str::from_utf8(&self.sym[..self.len()]).unwrap_or("")
    }

    /// Number of symbols (consonant classes and the leading-vowel marker).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no symbols (a token with no letters).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The class of the final vowel.
    pub fn ending(&self) -> Ending {
        self.ending
    }

    /// Builds the skeleton of a phone sequence.
    pub(crate) fn build(phones: &[Ph]) -> Skeleton {
        let mut sk = Skeleton {
            sym: [0; MAX_SKELETON],
            lead: 0,
            gaps: [0; MAX_SKELETON],
            len: 0,
            ending: Ending::None,
        };
        let mut gap: u16 = 0;
        let mut last_vowel: u16 = 0;
        let mut n = 0usize;
        let mut started = false;
        let mut lead_glottal = false;
        let mut prev_vowel: u16 = 0;
        for &ph in phones {
            match ph {
                Ph::V(m) => {
                    if !started {
                        // Leading vowel: a marker; its quality kept aside.
                        started = true;
                        if n < MAX_SKELETON {
                            sk.sym[n] = LEAD;
                            n += 1;
                        }
                        sk.lead = if lead_glottal { m | UNK } else { m };
                    } else if n > 0 && sk.sym[n - 1] == LEAD && n == 1 {
                        // Further leading vowels (Aisha, Aaliyah) belong to the marker.
                        sk.lead |= m;
                    } else {
                        gap |= m;
                        prev_vowel = last_vowel;
                        last_vowel = m;
                    }
                }
                Ph::C(c) => {
                    started = true;
                    if n > 0 && gap == 0 && sk.sym[n - 1] == c {
                        continue; // doubled letter (Mohammed, Hassan)
                    }
                    if n >= MAX_SKELETON {
                        break;
                    }
                    if n > 0 {
                        sk.gaps[n - 1] = gap;
                    }
                    sk.sym[n] = c;
                    n += 1;
                    gap = 0;
                    last_vowel = 0;
                    prev_vowel = 0;
                }
                Ph::Glottal if !started => {
                    // A name starting with ayn or hamza (Somali Cismaan =
                    // Osman): the vowel after it is not reliably written.
                    lead_glottal = true;
                }
                Ph::Glottal | Ph::Boundary => {}
            }
        }
        sk.len = n as u8;
        // A final e after another vowel is part of it (Josué ends in u,
        // Tesfaye in ay, Mussie in i); alone it is the weak e.
        let final_vowel = if last_vowel == E && prev_vowel != 0 {
            prev_vowel
        } else {
            last_vowel
        };
        sk.ending = if n > 1 || (n == 1 && sk.sym[0] != LEAD) {
            Ending::from_mask(final_vowel)
        } else {
            Ending::None
        };
        sk
    }

    /// How `self` and `other` relate; symmetric.
    pub fn agreement(&self, other: &Skeleton) -> Agreement {
        let (a, b) = (&self.sym[..self.len()], &other.sym[..other.len()]);
        if a != b {
            let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
            return if short.len() >= 2 && long.starts_with(short) {
                Agreement::Prefix
            } else {
                Agreement::Differ
            };
        }
        let mut soft = false;
        let gaps = self.len().saturating_sub(1);
        for i in 0..gaps {
            match gap_conflict(self.gaps[i], other.gaps[i]) {
                Conflict::Hard => return Agreement::Hard,
                Conflict::Soft => soft = true,
                Conflict::None => {}
            }
        }
        if !self.ending.compatible(other.ending) || lead_conflict(self.lead, other.lead) {
            return Agreement::Hard;
        }
        // Muhammad and Mahmud share every consonant; u in the last syllable
        // is the one thing that tells them apart (Mohamed/Mohamud).
        if BACKNESS_SENSITIVE.contains(&self.as_str()) && gaps > 0 {
            let back = |g: u16| g & (U | O) != 0;
            let (x, y) = (self.gaps[gaps - 1], other.gaps[gaps - 1]);
            if x & QUALITY != 0 && y & QUALITY != 0 && back(x) != back(y) {
                return Agreement::Hard;
            }
        }
        if soft { Agreement::Soft } else { Agreement::Same }
    }
}

/// Skeletons shared by two frequent, distinct names that differ only in
/// the last vowel being u/o or not: محمد Muhammad / محمود Mahmud (`mhmd`),
/// حامد Hamid / حمود Hamud (`hmd`). Not a general rule: Levantine Youssef
/// writes e where Yusuf has u.
const BACKNESS_SENSITIVE: &[&str] = &["mhmd", "hmd"];

/// Leading vowels: only a pure i against a pure a/o/u contradicts
/// (Imani/Amani, Illia/Oleh); Omar/Umar, Oleksandr/Aleksandr and
/// Ismail/Esmail agree.
fn lead_conflict(x: u16, y: u16) -> bool {
    let pure_i = |m: u16| m & I != 0 && m & (A | E | O | U | UNK) == 0;
    let pure_back = |m: u16| m & (A | O | U) != 0 && m & (E | I | UNK) == 0;
    (pure_i(x) && pure_back(y)) || (pure_i(y) && pure_back(x))
}

#[derive(Debug, PartialEq, Eq)]
enum Conflict {
    None,
    Soft,
    Hard,
}

fn gap_conflict(x: u16, y: u16) -> Conflict {
    if x == y {
        return Conflict::None;
    }
    let hard_one_way = |x: u16, y: u16| {
        (x & LI != 0 && y & (I | E) == 0)
            || (x & LU != 0 && y & (U | O) == 0)
            // A written long vowel against nothing written, in the same script.
            || (x & W != 0 && y & W == 0 && y & UNK != 0)
            // A plain a against a plain i: Amir/Omar, Samir/Samar, Karim/Karam.
            || (x & QUALITY == A && y & QUALITY == I && x & UNK == 0 && y & UNK == 0)
            // A written alef against a plain i or u: سامية Samia / Sumaya.
            || (x & W != 0 && x & A != 0 && matches!(y & QUALITY, I | U) && y & UNK == 0)
    };
    if hard_one_way(x, y) || hard_one_way(y, x) {
        return Conflict::Hard;
    }
    let soft_one_way = |x: u16, y: u16| x == 0 && y & QUALITY != 0 && y & UNK == 0;
    if soft_one_way(x, y) || soft_one_way(y, x) {
        return Conflict::Soft;
    }
    Conflict::None
}

/// Most ambiguity points a front-end varies; later ones keep their first reading.
pub(crate) const MAX_POINTS: usize = 8;
/// Most readings (skeletons) kept per written form.
pub(crate) const MAX_READINGS: usize = 8;

/// Hands out reading choices to a front-end. A front-end calls [`pick`] at
/// every ambiguous spot (Latin `ch`: sh, kh or k?) in a fixed order; the
/// first run discovers the spots, later runs walk through the combinations.
///
/// [`pick`]: Chooser::pick
pub(crate) struct Chooser<'a> {
    choices: &'a [u8],
    arity: [u8; MAX_POINTS],
    n: usize,
    /// Point id per ambiguity *kind*, for front-ends that read all
    /// occurrences of a kind the same way (Latin).
    kind_ids: [u8; 16],
}

impl<'a> Chooser<'a> {
    pub(crate) fn new(choices: &'a [u8]) -> Self {
        Chooser {
            choices,
            arity: [0; MAX_POINTS],
            n: 0,
            kind_ids: [u8::MAX; 16],
        }
    }

    /// A new ambiguity point with `arity` readings; returns the reading to use.
    pub(crate) fn pick(&mut self, arity: u8) -> u8 {
        if self.n >= MAX_POINTS {
            return 0;
        }
        let id = self.n;
        self.arity[id] = arity;
        self.n += 1;
        self.choices
            .get(id)
            .copied()
            .unwrap_or(0)
            .min(arity.saturating_sub(1))
    }

    /// Like [`Chooser::pick`], but every occurrence of `kind` shares one point.
    pub(crate) fn pick_kind(&mut self, kind: usize, arity: u8) -> u8 {
        let id = self.kind_ids.get(kind).copied().unwrap_or(u8::MAX);
        if id == u8::MAX {
            if self.n >= MAX_POINTS {
                return 0;
            }
            if let Some(slot) = self.kind_ids.get_mut(kind) {
                *slot = self.n as u8;
            }
            return self.pick(arity);
        }
        self.choices
            .get(id as usize)
            .copied()
            .unwrap_or(0)
            .min(arity.saturating_sub(1))
    }
}

/// Runs `front` over every combination of readings (at most
/// [`MAX_READINGS`]) and pushes the distinct skeletons into `out`.
pub(crate) fn readings(mut front: impl FnMut(&mut Chooser, &mut Vec<Ph>), out: &mut Vec<Skeleton>) {
    let mut phones = Vec::with_capacity(24);
    let mut ch = Chooser::new(&[]);
    front(&mut ch, &mut phones);
    push_unique(out, Skeleton::build(&phones));
    let arity = ch.arity;
    let n = ch.n;
    let total: usize = arity[..n]
        .iter()
        .fold(1usize, |acc, &a| acc.saturating_mul(a.max(1) as usize));
    let mut choices = [0u8; MAX_POINTS];
    for k in 1..total.min(MAX_READINGS) {
        // Mixed radix, first point fastest.
        let mut rest = k;
        for (i, c) in choices.iter_mut().enumerate().take(n) {
            let a = arity[i].max(1) as usize;
            *c = (rest % a) as u8;
            rest /= a;
        }
        phones.clear();
        let mut ch = Chooser::new(&choices[..n]);
        front(&mut ch, &mut phones);
        push_unique(out, Skeleton::build(&phones));
    }
}

pub(crate) fn push_unique(out: &mut Vec<Skeleton>, s: Skeleton) {
    if !s.is_empty() && !out.contains(&s) {
        out.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ph::*;

    #[test]
    fn build_collapses_doubles_and_marks_leading_vowel() {
        // a h m a d
        let s = Skeleton::build(&[V(A), C(b'h'), C(b'm'), V(A), C(b'd')]);
        assert_eq!(s.as_str(), "ahmd");
        assert_eq!(s.ending(), Ending::None);
        // m o h a m m e d
        let s = Skeleton::build(&[C(b'm'), V(O), C(b'h'), V(A), C(b'm'), C(b'm'), V(E), C(b'd')]);
        assert_eq!(s.as_str(), "mhmd");
        // a l i
        let s = Skeleton::build(&[V(A), C(b'l'), V(I)]);
        assert_eq!(s.as_str(), "al");
        assert_eq!(s.ending(), Ending::I);
    }

    #[test]
    fn gap_rules() {
        assert_eq!(gap_conflict(A, U), Conflict::None);
        assert_eq!(gap_conflict(A, E | I | LI), Conflict::Hard);
        assert_eq!(gap_conflict(UNK, I | LI), Conflict::Hard);
        assert_eq!(gap_conflict(UNK, A), Conflict::None);
        assert_eq!(gap_conflict(0, I), Conflict::Soft);
        assert_eq!(gap_conflict(0, UNK), Conflict::None);
        assert_eq!(gap_conflict(O | U, E), Conflict::None);
        assert_eq!(gap_conflict(A, I), Conflict::Hard);
        assert_eq!(gap_conflict(A, I | E), Conflict::None);
        assert_eq!(gap_conflict(A | W, UNK), Conflict::Hard);
        assert_eq!(gap_conflict(A | W, A), Conflict::None);
        assert_eq!(gap_conflict(U | O | LU, UNK), Conflict::Hard);
    }

    #[test]
    fn endings() {
        use Ending::*;
        assert!(None.compatible(E) && A.compatible(E) && None.compatible(O));
        assert!(!E.compatible(U));
        assert!(!A.compatible(None) && !A.compatible(I) && !A.compatible(O));
    }

    #[test]
    fn chooser_enumerates_combinations() {
        let mut out = Vec::new();
        readings(
            |ch, ph| {
                let a = ch.pick(2);
                let b = ch.pick_kind(3, 3);
                let _same = ch.pick_kind(3, 3);
                ph.push(C(b"xy"[a as usize]));
                ph.push(C(b"pqr"[b as usize]));
            },
            &mut out,
        );
        assert_eq!(out.len(), 6);
    }
}
