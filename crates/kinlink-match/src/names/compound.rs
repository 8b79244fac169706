//! Compound names, articles and particles in Latin spellings.
//!
//! * **Abd- compounds** (servant of + a divine name) reach one form however
//!   they are written: Abdul Rahman, Abdulrahman, Abd al-Rahman,
//!   Abd-ur-Rahman, Abderrahmane, Abdurrahman, Abdirahman (Somali) →
//!   `abdulrahman`; Abdullah, Abdallah, Abd Allah, Abdulla, Abdullahi,
//!   Abdoulaye → `abdullah`.
//! * **Articles** al-/el-/ul- and the sun-letter forms (ar-Rashid,
//!   as-Sayed, ad-Din, ash-Shami) are dropped when written apart; written
//!   joined (Alhussein, Arrashid) the article-less form is added as a
//!   further reading (never as an equal form: Alberto is not Berto).
//! * **Particles** between names are dropped: Arabic bin/ben/ibn/bint/binti,
//!   Sudanese wad/walad, Mauritanian ould; Spanish/Portuguese de, del, la,
//!   las, los, y, da, dos, das. Only between two other words: a leading
//!   "Ben" is a given name.

/// Vowel clusters allowed between `abd` and the article.
const ABD_VOWELS: [&str; 7] = ["", "a", "e", "i", "o", "u", "ou"];

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Whether the part after the article is Allah (Abdullah, Abdallah,
/// Abdulla, Abdullahi, Abdoulaye).
fn is_allah(after: &str) -> bool {
    let s = after.trim_start_matches('l');
    if s.len() == after.len() {
        return false;
    }
    matches!(s, "a" | "ah" | "ahi" | "aah" | "aahi" | "aye" | "ai" | "ahu")
}

/// The canonical (Latin form, skeleton input) of an Abd- compound whose
/// second part is `x`.
fn abd_form(x: &str) -> (String, String) {
    if x == "allah" || is_allah(x) {
        return ("abdullah".into(), "abdul|lah".into());
    }
    (format!("abdul{x}"), format!("abdul|{x}"))
}

/// Parses a joined Abd- compound (`abderrahmane`, `abdulaziz`, `abdirahman`,
/// `abdullahi`): `Some((latin, phon))`, or `None` if `s` is not one (Abdi,
/// Abdul and Abdou alone are names of their own).
pub(crate) fn abd_joined(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix("abd")?;
    let v_len = rest.bytes().take_while(|&c| is_vowel(c)).count();
    let (v, after) = rest.split_at(v_len);
    if !ABD_VOWELS.contains(&v) || after.is_empty() {
        return None;
    }
    if is_allah(after) {
        return Some(abd_form("allah"));
    }
    let b = after.as_bytes();
    // The article after the vowel: al- (abdul-rahman, abdel-aziz) or
    // assimilated to a sun letter (abder-rahmane, abdus-salam).
    let article = b[0] == b'l' || (b.len() > 1 && b[0] == b[1] && !is_vowel(b[0]));
    let x = if !v.is_empty() && after.len() > 3 && article {
        &after[1..]
    } else if !is_vowel(b[0]) {
        after // abdi-rahman, abdu-rahman
    } else {
        return None;
    };
    (x.chars().count() >= 3).then(|| abd_form(x))
}

/// Whether a separate word is the first half of an Abd- compound (`abd`,
/// `abdul`, `abdel`, `abdur`, ...). Words ending in a vowel (Abdi, Abdou,
/// Abdu) are names of their own.
pub(crate) fn is_abd_piece(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("abd") else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let v_len = rest.bytes().take_while(|&c| is_vowel(c)).count();
    let (v, cons) = rest.split_at(v_len);
    !v.is_empty() && ABD_VOWELS.contains(&v) && matches!(cons, "l" | "r" | "s" | "n" | "d" | "z" | "t" | "sh")
}

/// Whether `word` is a detached article before `next`.
pub(crate) fn is_article(word: &str, next: &str) -> bool {
    match word {
        "al" | "el" | "ul" | "il" => true,
        _ => {
            // Sun-letter forms only before a word starting with that letter:
            // ad-Din, ar-Rashid, ash-Shami (and not the Vietnamese name An).
            let bytes = word.as_bytes();
            bytes.len() >= 2
                && matches!(bytes[0], b'a' | b'e' | b'u')
                && matches!(&word[1..], "r" | "s" | "d" | "t" | "z" | "n" | "sh" | "th" | "dh")
                && next.starts_with(&word[1..])
        }
    }
}

/// The article-less reading of a word with a joined article (alhussein →
/// hussein, arrashid → rashid), if it looks like one.
pub(crate) fn joined_article_stripped(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for art in ["al", "el", "ul"] {
        // Four letters at least (Elmer is not el-Mer), except ad-Din compounds.
        if let Some(rest) = s.strip_prefix(art)
            && (rest.len() >= 4 || matches!(rest, "din" | "dine" | "deen"))
            && !is_vowel(rest.as_bytes()[0])
        {
            return Some(rest);
        }
    }
    if b.len() >= 6
        && matches!(b[0], b'a' | b'e' | b'u')
        && b[1] == b[2]
        && matches!(b[1], b'r' | b's' | b'd' | b't' | b'z' | b'n')
    {
        return Some(&s[2..]);
    }
    None
}

/// Particles dropped between two names.
pub(crate) fn is_particle(word: &str) -> bool {
    matches!(
        word,
        "bin"
            | "ben"
            | "ibn"
            | "bint"
            | "binti"
            | "wad"
            | "walad"
            | "ould"
            | "ولد"
            | "بن"
            | "ابن"
            | "بنت"
            | "de"
            | "del"
            | "la"
            | "las"
            | "los"
            | "y"
            | "da"
            | "dos"
            | "das"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(s: &str) -> Option<String> {
        abd_joined(s).map(|(l, _)| l)
    }

    #[test]
    fn abd_compounds() {
        for s in [
            "abdulrahman",
            "abdelrahman",
            "abdurrahman",
            "abdirahman",
            "abdurahman",
            "abdalrahman",
        ] {
            assert_eq!(joined(s).as_deref(), Some("abdulrahman"), "{s}");
        }
        assert_eq!(joined("abderrahmane").as_deref(), Some("abdulrahmane"));
        for s in [
            "abdullah",
            "abdallah",
            "abdulla",
            "abdullahi",
            "abdoulaye",
            "abdalla",
            "abdillahi",
            "abdulahi",
        ] {
            assert_eq!(joined(s).as_deref(), Some("abdullah"), "{s}");
        }
        assert_eq!(joined("abdelaziz").as_deref(), Some("abdulaziz"));
        assert_eq!(joined("abdoulkader").as_deref(), Some("abdulkader"));
        assert_eq!(joined("abdiqaadir").as_deref(), Some("abdulqaadir"));
        assert_eq!(joined("abdorrahim").as_deref(), Some("abdulrahim"));
        for s in ["abdi", "abdul", "abdou", "abdo", "abd", "abdy", "abdel"] {
            assert_eq!(joined(s), None, "{s}");
        }
    }

    #[test]
    fn pieces_articles_particles() {
        assert!(
            is_abd_piece("abd") && is_abd_piece("abdul") && is_abd_piece("abder") && is_abd_piece("abdoul")
        );
        assert!(!is_abd_piece("abdi") && !is_abd_piece("abdou") && !is_abd_piece("abdullah"));
        assert!(is_article("al", "rahman") && is_article("el", "hassan"));
        assert!(is_article("ar", "rashid") && is_article("ad", "din") && is_article("ash", "shami"));
        assert!(!is_article("an", "minh") && !is_article("as", "rahman"));
        assert_eq!(joined_article_stripped("alhussein"), Some("hussein"));
        assert_eq!(joined_article_stripped("arrashid"), Some("rashid"));
        assert_eq!(joined_article_stripped("alia"), None);
        assert_eq!(joined_article_stripped("alexander"), None);
        assert_eq!(joined_article_stripped("elmer"), None);
        assert_eq!(joined_article_stripped("eldin"), Some("din"));
        assert!(is_particle("bin") && is_particle("ould") && is_particle("de") && !is_particle("abu"));
    }
}
