//! Cyrillic → Latin transliteration the ways Ukrainian names actually reach
//! registrars: the 2010 national system (passports since 2010), the older
//! passport / BGN habit (-iy, ye, yu), Russian-style readings (g for г),
//! and German / French phonetic spellings used by host-country officials.
//! Also the Ukrainian grammar needed to write a person's full name:
//! feminine family names and patronymics.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    National,
    Legacy,
    Russian,
    German,
    French,
}

/// Latin for one lowercase Cyrillic letter; `initial` = at the start of a word
/// (the national system spells є ї й ю я differently there).
fn letter(c: char, initial: bool, s: Scheme) -> Option<&'static str> {
    use Scheme::*;
    Some(match (c, s) {
        ('а', _) => "a",
        ('б', _) => "b",
        ('в', German) => "w",
        ('в', _) => "v",
        ('г', Russian) => "g",
        ('г', _) => "h",
        ('ґ', _) => "g",
        ('д', _) => "d",
        ('е', _) => "e",
        ('є', National) if initial => "ye",
        ('є', National | French) => "ie",
        ('є', German) => "je",
        ('є', _) => "ye",
        ('ж', German) => "sh",
        ('ж', French) => "j",
        ('ж', _) => "zh",
        ('з', German) => "s",
        ('з', _) => "z",
        ('и', Russian) => "i",
        ('и', _) => "y",
        ('і', _) => "i",
        ('ї', National) if initial => "yi",
        ('ї', National) => "i",
        ('ї', German) => "ji",
        ('ї', French) => "ï",
        ('ї', _) => "yi",
        ('й', National) if initial => "y",
        ('й', National) => "i",
        ('й', German) => "j",
        ('й', French) => "ï",
        ('й', _) => "y",
        ('к', _) => "k",
        ('л', _) => "l",
        ('м', _) => "m",
        ('н', _) => "n",
        ('о', _) => "o",
        ('п', _) => "p",
        ('р', _) => "r",
        ('с', _) => "s",
        ('т', _) => "t",
        ('у', French) => "ou",
        ('у', _) => "u",
        ('ф', _) => "f",
        ('х', German) => "ch",
        ('х', _) => "kh",
        ('ц', German) => "z",
        ('ц', _) => "ts",
        ('ч', German) => "tsch",
        ('ч', French) => "tch",
        ('ч', _) => "ch",
        ('ш', German) => "sch",
        ('ш', French) => "ch",
        ('ш', _) => "sh",
        ('щ', German) => "schtsch",
        ('щ', French) => "chtch",
        ('щ', _) => "shch",
        ('ь', Legacy) => "'",
        ('ь' | 'ъ' | '\'' | 'ʼ' | '’', _) => "",
        ('ю', National) if initial => "yu",
        ('ю', National | French) => "iu",
        ('ю', German) => "ju",
        ('ю', _) => "yu",
        ('я', National) if initial => "ya",
        ('я', National | French) => "ia",
        ('я', German) => "ja",
        ('я', _) => "ya",
        // Russian-only letters, met in Russian forms of names and nicknames.
        ('ы', _) => "y",
        ('э', _) => "e",
        ('ё', German) => "jo",
        ('ё', French) => "io",
        ('ё', _) => "yo",
        _ => return None,
    })
}

/// Transliterates `s`; characters that are not Cyrillic letters pass through.
pub fn translit(s: &str, scheme: Scheme) -> String {
    // An all-caps name (common on forms) stays all caps: ШЕВЧУК -> SHEVCHUK, not ShEVChUK.
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    if letters > 1 && !s.chars().any(char::is_lowercase) {
        return translit(&s.to_lowercase(), scheme).to_uppercase();
    }
    let mut out = String::with_capacity(s.len());
    let mut initial = true;
    let mut prev = ' ';
    for c in s.chars() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let upper = c != lower;
        // The national system writes зг as zgh so it is not read as ж.
        let mapped = if scheme == Scheme::National && prev == 'з' && lower == 'г' {
            Some("gh")
        } else {
            letter(lower, initial, scheme)
        };
        match mapped {
            Some(latin) => {
                if upper {
                    let mut cs = latin.chars();
                    if let Some(f) = cs.next() {
                        out.extend(f.to_uppercase());
                        out.push_str(cs.as_str());
                    }
                } else {
                    out.push_str(latin);
                }
                initial = false;
            }
            None => {
                out.push(c);
                initial = !c.is_alphabetic();
            }
        }
        prev = lower;
    }
    out
}

/// The feminine form of a (masculine) Ukrainian family name.
pub fn feminine_surname(masc: &str) -> String {
    if let Some(stem) = masc.strip_suffix("ий") {
        return format!("{stem}а");
    }
    for suffix in ["ов", "ев", "єв", "ін", "ин"] {
        if masc.ends_with(suffix) {
            return format!("{masc}а");
        }
    }
    // -enko, -uk, -ar, Moroz...: invariable.
    masc.to_string()
}

/// The patronymic a child of `father` (a Ukrainian given name in Cyrillic) carries.
pub fn patronymic(father: &str, female: bool) -> String {
    let (m, f) = ("ович", "івна");
    match father {
        "Ілля" => return if female { "Іллівна" } else { "Ілліч" }.to_string(),
        "Микола" => {
            return if female {
                "Миколаївна"
            } else {
                "Миколайович"
            }
            .to_string();
        }
        _ => {}
    }
    if let Some(stem) = father.strip_suffix("ій") {
        return if female {
            format!("{stem}іївна")
        } else {
            format!("{stem}ійович")
        };
    }
    if let Some(stem) = father.strip_suffix('ь') {
        return if female {
            format!("{stem}{f}")
        } else {
            format!("{father}{m}")
        };
    }
    let stem = father
        .strip_suffix('о')
        .or_else(|| father.strip_suffix('а'))
        .unwrap_or(father);
    if female {
        format!("{stem}{f}")
    } else {
        format!("{stem}{m}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(translit("Шевченко", Scheme::National), "Shevchenko");
        assert_eq!(translit("Шевченко", Scheme::German), "Schewtschenko");
        assert_eq!(translit("Шевченко", Scheme::French), "Chevtchenko");
        assert_eq!(translit("Юрій", Scheme::National), "Yurii");
        assert_eq!(translit("Юрій", Scheme::Legacy), "Yuriy");
        assert_eq!(translit("Гнатюк", Scheme::Russian), "Gnatyuk");
        assert_eq!(translit("Гнатюк", Scheme::National), "Hnatiuk");
        assert_eq!(translit("Згурський", Scheme::National), "Zghurskyi");
        assert_eq!(translit("Левицька", Scheme::National), "Levytska");
        assert_eq!(translit("Євген", Scheme::National), "Yevhen");
        assert_eq!(translit("ШЕВЧУК", Scheme::National), "SHEVCHUK");
    }

    #[test]
    fn grammar() {
        assert_eq!(feminine_surname("Левицький"), "Левицька");
        assert_eq!(feminine_surname("Попов"), "Попова");
        assert_eq!(feminine_surname("Волошин"), "Волошина");
        assert_eq!(feminine_surname("Шевченко"), "Шевченко");
        assert_eq!(patronymic("Олександр", false), "Олександрович");
        assert_eq!(patronymic("Олександр", true), "Олександрівна");
        assert_eq!(patronymic("Андрій", true), "Андріївна");
        assert_eq!(patronymic("Андрій", false), "Андрійович");
        assert_eq!(patronymic("Дмитро", true), "Дмитрівна");
        assert_eq!(patronymic("Василь", false), "Васильович");
        assert_eq!(patronymic("Василь", true), "Василівна");
        assert_eq!(patronymic("Микита", false), "Микитович");
        assert_eq!(patronymic("Микола", true), "Миколаївна");
    }
}
