//! Cyrillic → Latin, the two ways Ukrainian and Russian names reach
//! registrars.
//!
//! Hand-rolled rather than `any_ascii` because `any_ascii` reads every
//! word the Russian way (Кирило → `Kirilo`, г → g, Юлія → `Yuliya`), while
//! Ukrainian children's documents use the Ukrainian national system of 2010
//! (Kyrylo, h, Yuliia). Each word gets both renderings: the national one
//! (primary) and the Russian/English-habit one (г → g, и → i, Ольга → Olga),
//! so that Olha and Olga, Hanna and Ganna meet a Cyrillic spelling.

/// Ukrainian national transliteration (KMU 2010): є ї й ю я are ye yi y yu
/// ya at the start of a word and ie i i iu ia elsewhere; зг is zgh.
pub fn ukrainian_national(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut prev = ' ';
    let mut initial = true;
    for c in word.chars() {
        let l = c.to_lowercase().next().unwrap_or(c);
        let s: &str = match l {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' if prev == 'з' => "gh",
            'г' => "h",
            'ґ' => "g",
            'д' => "d",
            'е' => "e",
            'є' if initial => "ye",
            'є' => "ie",
            'ж' => "zh",
            'з' => "z",
            'и' => "y",
            'і' => "i",
            'ї' if initial => "yi",
            'ї' => "i",
            'й' if initial => "y",
            'й' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ю' if initial => "yu",
            'ю' => "iu",
            'я' if initial => "ya",
            'я' => "ia",
            'ь' | 'ъ' | '\'' => "",
            // Russian letters in Ukrainian-system spelling.
            'ы' => "y",
            'э' => "e",
            'ё' => "io",
            _ => return_other(l, &mut out),
        };
        out.push_str(s);
        initial = false;
        prev = l;
    }
    out
}

/// Russian / English-habit transliteration (the BGN-like spelling of most
/// older passports and of host-country officials): г → g, и → i, й → y,
/// е → e, ё → yo.
pub fn russian_style(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        let l = c.to_lowercase().next().unwrap_or(c);
        let s: &str = match l {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' | 'ґ' => "g",
            'д' => "d",
            'е' | 'э' => "e",
            'ё' => "yo",
            'є' => "ye",
            'ж' => "zh",
            'з' => "z",
            'и' | 'і' => "i",
            'ї' => "yi",
            'й' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ы' => "y",
            'ю' => "yu",
            'я' => "ya",
            'ь' | 'ъ' | '\'' => "",
            _ => return_other(l, &mut out),
        };
        out.push_str(s);
    }
    out
}

/// Letters of other Cyrillic languages go through `any_ascii`.
fn return_other(c: char, out: &mut String) -> &'static str {
    let mut buf = [0u8; 4];
    out.push_str(&any_ascii::any_ascii(c.encode_utf8(&mut buf)).to_lowercase());
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_system() {
        assert_eq!(ukrainian_national("Олександр"), "oleksandr");
        assert_eq!(ukrainian_national("Кирило"), "kyrylo");
        assert_eq!(ukrainian_national("Юлія"), "yuliia");
        assert_eq!(ukrainian_national("Андрій"), "andrii");
        assert_eq!(ukrainian_national("Ольга"), "olha");
        assert_eq!(ukrainian_national("Згурський"), "zghurskyi");
        assert_eq!(ukrainian_national("Євгенія"), "yevheniia");
        assert_eq!(ukrainian_national("Щербак"), "shcherbak");
        assert_eq!(ukrainian_national("Мар'яна"), "mariana");
    }

    #[test]
    fn russian() {
        assert_eq!(russian_style("Александр"), "aleksandr");
        assert_eq!(russian_style("Кирилл"), "kirill");
        assert_eq!(russian_style("Ольга"), "olga");
        assert_eq!(russian_style("Юлия"), "yuliya");
        assert_eq!(russian_style("Сергей"), "sergey");
    }
}
