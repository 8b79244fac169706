//! Latin front-end: reads a folded Latin spelling (ASCII lower case) into
//! phones, knowing the transliteration habits names arrive in.
//!
//! Digraphs are read as one consonant class: sh/sch/tch/tsch/tsh/shch → `S`,
//! dj/dzh/zh → `j`, ph → `f`, gh → `g`, ts/tz → `s`, ck → `k`. z stays apart
//! from s (Zaid/Said and Kazem/Qasem are different names). French `ou` is a
//! u, or a w between vowels (Oualid, Naoual). `y`, `i` and `w` are
//! consonants only where they are pronounced as such (initially or between
//! vowels: Yusuf, Soraya, Dawit); after a consonant they are vowels
//! (Maryam = Mariam, Binyam = Biniam, Luwam = Luam).
//!
//! Where one spelling has several readings, all are produced (each becomes a
//! skeleton) and names meet if any readings agree. All occurrences of a kind
//! in one word share a reading:
//!
//! | spelling | readings | because |
//! |---|---|---|
//! | `c`, `x` in Somali-looking words | c = ayn (dropped), x = ħ (h) | Somali orthography: Cabdi = Abdi, Xasan = Hassan, Maxamed = Mohamed |
//! | `j` | j, y | German/Slavic j = y: Jussuf = Yusuf, Julia = Yulia |
//! | `ch` | sh, kh, k | French Chafik, German Chaled, English Michael |
//! | `kh` | h, k | Khadija/Hadija/Kadija, Tekhle/Tekle |
//! | `q` | k, g | Qasim/Kassem; Somali and Gulf q = g |
//! | `th` | t, s, z | Othman/Osman, Thuraya/Soraya; Iraqi th for ظ (Kathim/Kazem) |
//! | `dh` | d, z, d+h | ذ and Somali dh; Ge'ez ድህ in Gebremedhin |
//! | `v` | w, b | Persian/German v = w (Javad/Jawad); Spanish b = v (Valeria/Baleria) |
//! | `ou`, `uw`, `u` before a vowel | u, w | French Maroua = Marwa, Luam = Luwam, Samuel = Samwel |
//! | `oi` | oi, wa | French Espoir = Espwar |
//! | final `h` after a vowel | vowel, h | Fatimah = Fatima, Fatemeh = Fatima; Saleh/Salih |
//!
//! Transliterations from other scripts are read *literally* (no Somali or
//! final-h vowel readings): the h of Oleh (Олег) is a consonant.

use super::skeleton::{A, Chooser, E, I, LI, LU, O, Ph, SH, U, UNK};

// Ambiguity kinds (one shared reading per token for each).
const K_SOMALI: usize = 0;
const K_J: usize = 1;
const K_CH: usize = 2;
const K_KH: usize = 3;
const K_FINAL_H: usize = 4;
const K_Q: usize = 5;
const K_TH: usize = 6;
const K_DH: usize = 7;
const K_V: usize = 8;
const K_UW: usize = 9;
const K_OI: usize = 10;

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn quality(c: u8) -> u16 {
    match c {
        b'a' => A,
        b'e' => E,
        b'i' => I,
        b'o' => O,
        _ => U,
    }
}

/// Whether a word may be in Somali orthography, where `c` writes the ayn
/// and `x` the ħ. Somali has no p, v or z and no `ch`.
pub(crate) fn somali_like(s: &[u8]) -> bool {
    let has_marker = s
        .iter()
        .enumerate()
        .any(|(i, &c)| c == b'x' || (c == b'c' && !matches!(s.get(i + 1), Some(b'h' | b'k'))));
    has_marker && !s.iter().any(|c| matches!(c, b'p' | b'v' | b'z')) && !s.windows(2).any(|w| w == b"ch")
}

/// Reads `s` (ASCII lower case; `|` marks a compound boundary, `*` a vowel
/// the script did not write, `'` a glottal stop) into `out`.
pub(crate) fn phones(s: &[u8], literal: bool, ch: &mut Chooser, out: &mut Vec<Ph>) {
    let n = s.len();
    let at = |k: usize| -> u8 { s.get(k).copied().unwrap_or(0) };
    let somali = !literal && somali_like(s);
    let mut i = 0;
    while i < n {
        let c = s[i];
        let prev = if i > 0 { s[i - 1] } else { 0 };
        let start = i == 0 || prev == b'|';
        let next = at(i + 1);
        let step: usize = match c {
            b'|' => {
                out.push(Ph::Boundary);
                1
            }
            b'\'' => {
                out.push(Ph::Glottal);
                1
            }
            b'*' => {
                out.push(Ph::V(UNK));
                1
            }
            b'a' | b'e' | b'i' | b'o' | b'u' => vowel(s, i, start, ch, out),
            b'y' => y_phone(s, i, start, out),
            b'w' => {
                if prev == b'u' && is_vowel(next) && ch.pick_kind(K_UW, 2) == 0 {
                    out.push(Ph::V(U)); // Luwam = Luam
                } else {
                    out.push(Ph::C(b'w'));
                }
                1
            }
            b'v' => {
                out.push(Ph::C(if ch.pick_kind(K_V, 2) == 0 { b'w' } else { b'b' }));
                1
            }
            b'h' => {
                if !literal && i + 1 == n && i >= 2 && is_vowel(prev) {
                    if ch.pick_kind(K_FINAL_H, 2) == 0 {
                        // Fatemeh = Fatima: Persian final -eh is an a.
                        if prev == b'e' {
                            out.push(Ph::V(A));
                        }
                    } else {
                        out.push(Ph::C(b'h'));
                    }
                } else {
                    out.push(Ph::C(b'h'));
                }
                1
            }
            b's' => {
                if s[i..].starts_with(b"shch") {
                    out.push(Ph::C(SH));
                    4
                } else if s[i..].starts_with(b"sch") {
                    out.push(Ph::C(SH));
                    3
                } else if next == b'h' {
                    out.push(Ph::C(SH));
                    2
                } else {
                    out.push(Ph::C(b's'));
                    1
                }
            }
            b't' => {
                if s[i..].starts_with(b"tsch") {
                    out.push(Ph::C(SH));
                    4
                } else if s[i..].starts_with(b"tsh") || s[i..].starts_with(b"tch") {
                    out.push(Ph::C(SH));
                    3
                } else if next == b'h' {
                    out.push(Ph::C(match ch.pick_kind(K_TH, 3) {
                        0 => b't',
                        1 => b's',
                        _ => b'z',
                    }));
                    2
                } else if next == b's' || next == b'z' {
                    out.push(Ph::C(b's'));
                    2
                } else {
                    out.push(Ph::C(b't'));
                    1
                }
            }
            b'd' => {
                if s[i..].starts_with(b"dzh") {
                    out.push(Ph::C(b'j'));
                    3
                } else if next == b'j' {
                    out.push(Ph::C(b'j'));
                    2
                } else if next == b'h' {
                    match ch.pick_kind(K_DH, 3) {
                        0 => {
                            out.push(Ph::C(b'd'));
                            2
                        }
                        1 => {
                            out.push(Ph::C(b'z'));
                            2
                        }
                        _ => {
                            out.push(Ph::C(b'd'));
                            1
                        }
                    }
                } else {
                    out.push(Ph::C(b'd'));
                    1
                }
            }
            b'c' => {
                if next == b'h' {
                    let k = match ch.pick_kind(K_CH, 3) {
                        0 => SH,
                        1 => b'h',
                        _ => b'k',
                    };
                    out.push(Ph::C(k));
                    2
                } else if next == b'k' {
                    out.push(Ph::C(b'k'));
                    2
                } else if somali && ch.pick_kind(K_SOMALI, 2) == 1 {
                    out.push(Ph::Glottal);
                    1
                } else {
                    out.push(Ph::C(if matches!(next, b'e' | b'i' | b'y') {
                        b's'
                    } else {
                        b'k'
                    }));
                    1
                }
            }
            b'x' => {
                if somali && ch.pick_kind(K_SOMALI, 2) == 1 {
                    out.push(Ph::C(b'h'));
                } else {
                    out.push(Ph::C(b'k'));
                    out.push(Ph::C(b's'));
                }
                1
            }
            b'k' => {
                if next == b'h' {
                    out.push(Ph::C(if ch.pick_kind(K_KH, 2) == 0 { b'h' } else { b'k' }));
                    2
                } else {
                    out.push(Ph::C(b'k'));
                    1
                }
            }
            b'g' => {
                if next == b'h' || (next == b'u' && matches!(at(i + 2), b'e' | b'i')) {
                    out.push(Ph::C(b'g'));
                    2
                } else {
                    out.push(Ph::C(b'g'));
                    1
                }
            }
            b'q' => {
                if next == b'u' && matches!(at(i + 2), b'e' | b'i') {
                    out.push(Ph::C(b'k'));
                    2
                } else {
                    out.push(Ph::C(if ch.pick_kind(K_Q, 2) == 0 { b'k' } else { b'g' }));
                    1
                }
            }
            b'z' => {
                if next == b'h' {
                    out.push(Ph::C(b'j'));
                    2
                } else {
                    out.push(Ph::C(b'z'));
                    1
                }
            }
            b'p' => {
                if next == b'h' {
                    out.push(Ph::C(b'f'));
                    2
                } else {
                    out.push(Ph::C(b'p'));
                    1
                }
            }
            b'j' => {
                if ch.pick_kind(K_J, 2) == 0 {
                    out.push(Ph::C(b'j'));
                    1
                } else if is_vowel(next) {
                    out.push(Ph::C(b'y')); // German/Slavic j: Jussuf, Julia
                    1
                } else {
                    y_phone(s, i, start, out) // Andrij, Mychajlo
                }
            }
            b'b' | b'f' | b'l' | b'm' | b'n' | b'r' => {
                out.push(Ph::C(c));
                1
            }
            _ => 1, // digits, stray symbols
        };
        i += step;
    }
}

/// Reads a y (or a j read as y) at `i`: a consonant initially before a
/// vowel and between vowels (Yusuf, Soraya), otherwise a vowel (Maryam,
/// Aly, Andriy). Returns bytes consumed.
fn y_phone(s: &[u8], i: usize, start: bool, out: &mut Vec<Ph>) -> usize {
    let n = s.len();
    let prev = if i > 0 { s[i - 1] } else { 0 };
    let next = s.get(i + 1).copied().unwrap_or(0);
    if next == s[i] && is_vowel(prev) {
        out.push(Ph::C(b'y')); // Sayyid
        return 2;
    }
    let final_e = next == b'e' && i + 2 == n;
    let consonant =
        (start && is_vowel(next)) || (prev != b'i' && is_vowel(prev) && is_vowel(next) && !final_e);
    out.push(if consonant { Ph::C(b'y') } else { Ph::V(I) });
    1
}

/// Reads the vowel (or vowel digraph) at `i`; returns bytes consumed.
fn vowel(s: &[u8], i: usize, start: bool, ch: &mut Chooser, out: &mut Vec<Ph>) -> usize {
    let c = s[i];
    let at = |k: usize| -> u8 { s.get(k).copied().unwrap_or(0) };
    let prev = if i > 0 { s[i - 1] } else { 0 };
    let next = at(i + 1);
    let after = at(i + 2);
    let after_consonant = i > 0 && !start && !is_vowel(prev) && prev != b'\'' && prev != b'*';
    match (c, next) {
        (b'o', b'u') => {
            let vowel_before = start || is_vowel(prev) || prev == b'\'';
            let vowel_after = matches!(after, b'a' | b'e' | b'i' | b'o');
            if vowel_before && vowel_after {
                out.push(Ph::C(b'w')); // Oualid, Naoual
            } else if vowel_after && after_consonant && ch.pick_kind(K_UW, 2) == 1 {
                out.push(Ph::C(b'w')); // Maroua = Marwa, Hamoui = Hamwi
            } else {
                out.push(Ph::V(O | U));
            }
            2
        }
        (b'u', b'a' | b'e' | b'i' | b'o') if after_consonant && ch.pick_kind(K_UW, 2) == 1 => {
            out.push(Ph::C(b'w')); // Samuel = Samwel, Bisimua = Bisimwa
            1
        }
        (b'o', b'i') if !is_vowel(after) && ch.pick_kind(K_OI, 2) == 1 => {
            out.push(Ph::C(b'w')); // French oi: Espoir = Espwar
            out.push(Ph::V(A));
            2
        }
        (b'o', b'o') | (b'u', b'u') => {
            out.push(Ph::V(O | U | LU));
            2
        }
        (b'e', b'e') => {
            out.push(Ph::V(E | I | LI));
            2
        }
        (b'i', b'i') => {
            out.push(Ph::V(I | LI));
            2
        }
        (b'a' | b'e' | b'o', b'i' | b'y') => {
            // A diphthong unless the glide is followed by a vowel (then it is a
            // consonant y: Soraya, Maia) or doubled (Sayyid, Rayyan);
            // "-aye" at the end is still one (Tesfaye).
            let final_e = after == b'e' && i + 3 == s.len();
            if (!is_vowel(after) && after != next) || (next == b'y' && final_e) {
                out.push(Ph::V(quality(c) | I | LI));
                2
            } else {
                out.push(Ph::V(quality(c)));
                1
            }
        }
        (b'i', n) if is_vowel(n) => {
            // Initial or between vowels i is a y (Iuliia, Maia); after a
            // consonant a vowel (Mariam).
            if start || is_vowel(prev) {
                out.push(Ph::C(b'y'));
            } else {
                out.push(Ph::V(I));
            }
            1
        }
        _ => {
            out.push(Ph::V(quality(c)));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::skeleton::{Agreement, Skeleton, readings};
    use super::*;

    fn skels(s: &str) -> Vec<Skeleton> {
        let mut out = Vec::new();
        readings(|ch, ph| phones(s.as_bytes(), false, ch, ph), &mut out);
        out
    }

    fn first(s: &str) -> String {
        skels(s)[0].as_str().to_string()
    }

    fn best(a: &str, b: &str) -> Agreement {
        let (sa, sb) = (skels(a), skels(b));
        sa.iter()
            .flat_map(|x| sb.iter().map(move |y| x.agreement(y)))
            .min()
            .unwrap_or(Agreement::Differ)
    }

    #[test]
    fn skeleton_strings() {
        assert_eq!(first("mohammed"), "mhmd");
        assert_eq!(first("muhammad"), "mhmd");
        assert_eq!(first("ahmad"), "ahmd");
        assert_eq!(first("mahmoud"), "mhmd");
        assert_eq!(first("hassan"), "hsn");
        assert_eq!(first("shafiq"), "Sfk");
        assert_eq!(first("oleksandr"), "alksndr");
        assert_eq!(first("alexander"), "alksndr");
        assert_eq!(first("zhanna"), "jn");
        assert_eq!(first("oualid"), "wld");
        assert_eq!(first("soraya"), "sry");
        assert_eq!(first("maryam"), "mrm");
        assert_eq!(first("biniyam"), "bnm");
        assert_eq!(first("luwam"), "lm");
        assert_eq!(first("tesfaye"), "tsf");
    }

    #[test]
    fn agreements() {
        use Agreement::*;
        assert_eq!(best("mohammed", "muhammad"), Same);
        assert_eq!(best("mohamed", "mohammad"), Same);
        assert_eq!(best("yusuf", "youssef"), Same);
        assert_eq!(best("yusuf", "jussuf"), Same);
        assert_eq!(best("hussein", "husayn"), Same);
        assert_eq!(best("hussein", "hossein"), Same);
        assert_eq!(best("zainab", "zeynab"), Same);
        assert_eq!(best("tesfay", "tesfaye"), Same);
        assert_eq!(best("tesfai", "tesfay"), Same);
        assert_eq!(best("kyrylo", "kirill"), Same);
        assert_eq!(best("yuliia", "julia"), Same);
        assert_eq!(best("iuliia", "yulia"), Same);
        assert_eq!(best("fatima", "fatemeh"), Same);
        assert_eq!(best("fatima", "fatimah"), Same);
        assert_eq!(best("xasan", "hassan"), Same);
        assert_eq!(best("cabdi", "abdi"), Same);
        assert_eq!(best("maxamed", "mohamed"), Same);
        assert_eq!(best("khadija", "kadija"), Same);
        assert_eq!(best("khadija", "hadija"), Same);
        assert_eq!(best("maryam", "mariam"), Same);
        assert_eq!(best("nawal", "naoual"), Same);
        assert_eq!(best("othman", "osman"), Same);
        assert_eq!(best("sayyid", "sayed"), Same);
        assert_eq!(best("rayan", "rayyan"), Same);
        assert_eq!(best("valeria", "baleria"), Same);
        assert_eq!(best("javad", "jawad"), Same);
        assert_eq!(best("zabihullah", "dhabihullah"), Same);
        assert_eq!(best("mohamed", "mohamud"), Hard);
        assert_eq!(best("amir", "omar"), Hard);
        assert_eq!(best("amani", "imani"), Hard);
        assert_eq!(best("zaid", "said"), Differ);
        assert_eq!(best("marwa", "maroua"), Same);
        assert_eq!(best("luam", "luwam"), Same);
        assert_eq!(best("samuel", "samwel"), Same);
        assert_eq!(best("espoir", "espwar"), Same);
        assert_eq!(best("kathim", "kazem"), Same);
        assert_eq!(best("cismaan", "osman"), Same);
        assert!(best("khadija", "huda") >= Prefix);
        assert_eq!(best("josue", "jose"), Hard);
        assert_eq!(best("marzieh", "marzia"), Same);
        assert_eq!(best("mychajlo", "mykhailo"), Same);
        assert_eq!(best("saleh", "salih"), Same);
        assert_eq!(best("mikhail", "michail"), Same);
        // Soft: a vowel written on one side only.
        assert_eq!(best("fatima", "fatma"), Soft);
        // Hard: related but different names.
        assert_eq!(best("hassan", "hussein"), Hard);
        assert_eq!(best("ali", "alia"), Hard);
        assert_eq!(best("amin", "amina"), Hard);
        assert_eq!(best("mahmood", "mohammed"), Hard);
        assert_eq!(best("mahmoud", "mohammed"), Hard);
        assert_eq!(best("kareem", "karam"), Hard);
        assert_eq!(best("amina", "aminata"), Prefix);
        assert_eq!(best("ahmad", "ahmadzai"), Prefix);
        assert_eq!(best("ahmad", "mahmoud"), Differ);
    }
}
