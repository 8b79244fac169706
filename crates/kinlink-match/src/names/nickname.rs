//! Nicknames, short forms and cross-language equivalents: a small table of
//! well-attested cases, deliberately modest.
//!
//! Each group lists forms of one name that spelling rules cannot connect
//! (José/Pepe). Entries are folded Latin (lower case, no accents). A token
//! finds its groups by any normalised form (Cyrillic through its
//! transliterations, so Саша finds `sasha`) and, for entries of three
//! consonant symbols or more, by skeleton: Mohammed and Mouhamad find the
//! `muhammad` group without every spelling being listed. Short entries
//! (Dima, Mido) match by form only, so that they do not catch unrelated
//! short names (Elena would catch Alina). Arabic-script tokens are not looked up (their skeletons lack
//! vowels and would catch too much): compare nicknames such as حمودي
//! through their Latin spellings.
//!
//! Sources are common usage (Spanish hipocorísticos, Ukrainian/Russian
//! diminutives, Levantine and Maghrebi Arabic diminutives). Somali
//! nicknames (naanays such as Dheere "tall") are descriptive, not derived
//! from the name, and cannot be tabled.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::latin;
use super::skeleton::{Agreement, Skeleton, readings};

/// Groups of names that may stand for one another.
pub const GROUPS: &[&[&str]] = &[
    // Spanish (Latin America and Spain)
    &["jose", "pepe", "pepito", "chepe", "cheo"],
    &["francisco", "paco", "pancho", "curro", "kiko", "chico"],
    &["francisca", "paca", "pancha", "paquita"],
    &["guadalupe", "lupe", "lupita"],
    &["jesus", "chucho", "chuy", "chus"],
    &["manuel", "manolo", "manu"],
    &["ignacio", "nacho"],
    &["dolores", "lola", "lolita"],
    &["concepcion", "concha", "conchita", "chona"],
    &["rosario", "charo", "chayo"],
    &["socorro", "coco"],
    &["mercedes", "meche"],
    &["enrique", "quique"],
    &["roberto", "beto"],
    &["alberto", "beto"],
    &["guillermo", "memo"],
    &["eduardo", "lalo"],
    &["antonio", "tono"],
    &["rafael", "rafa"],
    &["santiago", "santi", "chago"],
    &["maria", "mari"],
    // Ukrainian / Russian: Ukrainian form, Russian form(s), the English or
    // German form host-country officials write, diminutives.
    &[
        "oleksandr",
        "aleksandr",
        "alexander",
        "sasha",
        "sashko",
        "sanya",
        "sania",
        "shura",
    ],
    &["oleksandra", "aleksandra", "alexandra", "sasha", "shura"],
    &[
        "oleksii", "oleksiy", "aleksey", "alexei", "aleksei", "lyosha", "lesha", "alyosha",
    ],
    &["dmytro", "dmitriy", "dmitry", "dmitri", "dima"],
    &["volodymyr", "vladimir", "vova", "volodya", "volodia"],
    &["mykola", "nikolay", "nikolai", "nicholas", "kolya", "kolia"],
    &["mykhailo", "mikhail", "michael", "misha"],
    &[
        "yevhen", "ievgen", "evgeniy", "yevgeny", "evgeny", "eugene", "zhenya", "zhenia",
    ],
    &["yevheniia", "evgeniya", "zhenya", "zhenia"],
    &["serhii", "serhiy", "sergey", "sergei", "seryozha"],
    &["andrii", "andriy", "andrey", "andrei", "andrew", "andreas"],
    &["pavlo", "pavel", "paul", "pasha"],
    &["petro", "pyotr", "petr", "peter", "petya"],
    &["ivan", "john", "vanya", "vania"],
    &["maksym", "maksim", "maxim", "maks", "max"],
    &["bohdan", "bogdan", "bodya"],
    &["vasyl", "vasiliy", "vasily", "basil", "vasya"],
    &["yaroslav", "slava"],
    &["viacheslav", "vyacheslav", "slava"],
    &["hryhorii", "grigoriy", "grigory", "grisha"],
    &["heorhii", "georgiy", "georgy", "zhora"],
    &["yurii", "yuriy", "yuri", "yura"],
    &["oleh", "oleg"],
    &["ihor", "igor"],
    &["kyrylo", "kirill", "cyril"],
    &["matvii", "matvey", "matthew"],
    &["tymofii", "timofey", "timothy", "tima"],
    &["artem", "artyom", "tema", "tyoma"],
    &["mykyta", "nikita"],
    &["stepan", "stephen", "stefan"],
    &["yelyzaveta", "elizaveta", "elizabeth", "liza"],
    &[
        "kateryna",
        "ekaterina",
        "yekaterina",
        "katerina",
        "catherine",
        "katya",
        "katia",
        "katrusia",
    ],
    &["mariia", "mariya", "maria", "masha", "marusia", "marichka"],
    &["nataliia", "natalia", "natalya", "natasha"],
    &["olena", "elena", "yelena", "helen", "helena", "lena"],
    &["olha", "olga", "olia", "olya"],
    &["hanna", "anna", "ganna", "ania", "anya"],
    &["halyna", "galina", "halia", "galya"],
    &["iryna", "irina", "ira"],
    &["anastasiia", "anastasia", "anastasiya", "nastia", "nastya"],
    &["tetiana", "tatiana", "tatyana", "tania", "tanya"],
    &["sofiia", "sofia", "sofiya", "sonia", "sonya"],
    &["viktoriia", "viktoria", "victoria", "vika"],
    &["dariia", "daria", "darya", "dasha"],
    &["liudmyla", "lyudmila", "liuda", "lyuda"],
    // Arabic: Levantine, Egyptian and Maghrebi diminutives.
    &["muhammad", "hamoudi", "hamudi", "hamo", "mido", "moha", "hamada"],
    &["mahmoud", "hamoudi", "hamudi", "hamo"],
    &["ahmad", "hamada"],
    &["abdulrahman", "abboud", "aboud", "abdo", "abdou"],
    &["abdullah", "abboud", "aboud", "abdo", "abdou"],
    &["abdulaziz", "azzouz", "aziz"],
    // Fatima as written in the Maghreb (Fatna), West and East Africa
    // (Fatouma, Fatuma) and Somalia (Faadumo, Fadumo).
    &[
        "fatima", "fatoum", "fattouma", "fatna", "fatouma", "fatuma", "faadumo", "fadumo",
    ],
    &["khadija", "khadouj", "khaddouj"],
    &["ibrahim", "brahim", "barhoum"],
    &["mustafa", "stifa"],
    // Somali spellings of Arabic names: no z (Sahra), final -o for the
    // feminine -a (Xaliimo, Safiyo), Maryan for Maryam.
    &["zahra", "sahra"],
    &["halima", "xaliimo", "halimo", "haliimo"],
    &["safiya", "safiyo", "safiyyo"],
    &["maryam", "mariam", "maryan"],
    // Turkish spellings (final devoicing, e for a) of Arabic names, as
    // registrars in Germany and Greece meet them (Mehmet is a name of its
    // own, see tests/variants.rs).
    &["ahmad", "ahmet"],
    &["zaynab", "zainab", "zeinab", "zeynep"],
    // Algerian French and Egyptian spellings of Khadija; Portuguese Luiz.
    &["khadija", "khadidja", "khadiga"],
    &["luis", "luiz"],
];

/// Written abbreviations of one name, expanded before comparison: Mohd,
/// Mhd, Md, Muhd for Muhammad (Malaysian, Syrian and South Asian documents).
pub(crate) fn expansion(form: &str) -> Option<&'static str> {
    match form {
        "mohd" | "mhd" | "md" | "muhd" | "mohd." | "mhmd" | "mohmd" => Some("muhammad"),
        _ => None,
    }
}

fn index() -> &'static HashMap<&'static str, Vec<u16>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<u16>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m: HashMap<&'static str, Vec<u16>> = HashMap::new();
        for (g, names) in GROUPS.iter().enumerate() {
            for n in names.iter() {
                let ids = m.entry(n).or_default();
                let g = u16::try_from(g).expect("fewer than 65536 nickname groups");
                if !ids.contains(&g) {
                    ids.push(g);
                }
            }
        }
        m
    })
}

/// Group ids of a folded Latin form (empty if it is in no group).
pub fn groups(form: &str) -> &'static [u16] {
    index().get(form).map(Vec::as_slice).unwrap_or(&[])
}

/// Entries of at least this many skeleton symbols are also found by skeleton.
const MIN_SKELETON_LOOKUP: usize = 4;

type SkeletonIndex = HashMap<String, Vec<(Skeleton, u16)>>;

fn skeleton_index() -> &'static SkeletonIndex {
    static INDEX: OnceLock<SkeletonIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut idx: SkeletonIndex = HashMap::new();
        for (g, names) in GROUPS.iter().enumerate() {
            let g = u16::try_from(g).expect("fewer than 65536 nickname groups");
            for n in names.iter() {
                let mut sk = Vec::new();
                readings(|ch, ph| latin::phones(n.as_bytes(), false, ch, ph), &mut sk);
                // The first reading is the name as the table means it.
                if let Some(&s) = sk.first()
                    && s.len() >= MIN_SKELETON_LOOKUP
                {
                    idx.entry(s.as_str().to_string()).or_default().push((s, g));
                }
            }
        }
        idx
    })
}

/// Group ids found through a token's skeletons (entries whose skeleton
/// agrees fully with one of them).
pub(crate) fn groups_by_skeleton(skeletons: &[Skeleton], out: &mut Vec<u16>) {
    let idx = skeleton_index();
    for s in skeletons {
        if s.len() < MIN_SKELETON_LOOKUP {
            continue;
        }
        for (e, g) in idx.get(s.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
            if s.agreement(e) == Agreement::Same && !out.contains(g) {
                out.push(*g);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let shares = |a: &str, b: &str| groups(a).iter().any(|g| groups(b).contains(g));
        assert!(shares("jose", "pepe"));
        assert!(shares("francisco", "paco") && shares("pancho", "francisco"));
        assert!(shares("guadalupe", "lupe"));
        assert!(shares("oleksandr", "sasha") && shares("aleksandr", "shura"));
        assert!(shares("dmytro", "dima") && shares("volodymyr", "vova"));
        assert!(shares("muhammad", "hamoudi"));
        assert!(!shares("jose", "paco"));
        assert!(groups("zzz").is_empty());
        assert_eq!(expansion("mohd"), Some("muhammad"));
    }

    #[test]
    fn table_is_folded_ascii() {
        for g in GROUPS {
            for n in g.iter() {
                assert!(n.bytes().all(|c| c.is_ascii_lowercase()), "{n}");
            }
        }
    }
}
