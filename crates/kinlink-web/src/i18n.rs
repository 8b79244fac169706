//! Translations: Fluent (`fluent-bundle`), one `.ftl` file per language in
//! `locales/`, compiled into the binary. Every key is in every file (a test
//! compares the key sets, and checks that every key the pages use exists).

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language the interface is offered in.
#[derive(Debug)]
pub struct Language {
    /// BCP 47 code, as in `lang="…"` and the language cookie.
    pub code: &'static str,
    /// The language's own name, as the picker shows it.
    pub autonym: &'static str,
    /// The Fluent source.
    pub(crate) ftl: &'static str,
}

impl Language {
    /// Written right to left (Arabic, Dari, Pashto, Persian, Urdu, Hebrew, Kurdish Sorani).
    pub fn rtl(&self) -> bool {
        is_rtl(self.code)
    }

    /// `rtl` or `ltr`, for the `dir` attribute.
    pub fn dir(&self) -> &'static str {
        if self.rtl() { "rtl" } else { "ltr" }
    }
}

/// Whether a language code is written right to left.
pub fn is_rtl(code: &str) -> bool {
    matches!(code, "ar" | "prs" | "fa" | "ps" | "ur" | "he" | "ckb")
}

/// The interface languages. English is the fallback.
pub static LANGUAGES: [Language; 4] = [
    Language {
        code: "en",
        autonym: "English",
        ftl: include_str!("../locales/en.ftl"),
    },
    Language {
        code: "fr",
        autonym: "Français",
        ftl: include_str!("../locales/fr.ftl"),
    },
    Language {
        code: "es",
        autonym: "Español",
        ftl: include_str!("../locales/es.ftl"),
    },
    Language {
        code: "ar",
        autonym: "العربية",
        ftl: include_str!("../locales/ar.ftl"),
    },
];

/// A language by its code, if offered.
pub fn language(code: &str) -> Option<&'static Language> {
    LANGUAGES
        .iter()
        .find(|l| l.code.eq_ignore_ascii_case(code.trim()))
}

/// The first offered language of an `Accept-Language` header (weights are
/// ignored: browsers list languages in preference order), else English.
pub fn negotiate(accept_language: Option<&str>) -> &'static Language {
    accept_language
        .unwrap_or_default()
        .split(',')
        .filter_map(|part| part.split(';').next())
        .filter_map(|tag| language(tag.split('-').next().unwrap_or_default()))
        .next()
        .unwrap_or(&LANGUAGES[0])
}

struct Bundles(Vec<FluentBundle<FluentResource>>);

static BUNDLES: LazyLock<Bundles> = LazyLock::new(|| {
    Bundles(
        LANGUAGES
            .iter()
            .map(|lang| {
                let id: LanguageIdentifier = lang.code.parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Names are wrapped in <bdi> by the pages; Unicode isolation marks
                // would only get in the way of copying text.
                bundle.set_use_isolating(false);
                // A syntax error keeps the entries that parsed; the key test fails on the rest.
                let resource = FluentResource::try_new(lang.ftl.to_owned()).unwrap_or_else(|(r, _)| r);
                // Keys are unique per file (the key test checks); an overlap keeps the first.
                let _ = bundle.add_resource(resource);
                bundle
            })
            .collect(),
    )
});

/// Translates for one language.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: &'static Language,
    index: usize,
}

impl Tr {
    pub fn new(lang: &'static Language) -> Self {
        let index = LANGUAGES.iter().position(|l| l.code == lang.code).unwrap_or(0);
        Self { lang, index }
    }

    /// The message `key`; English if this language lacks it, the key itself if English does too.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with named arguments.
    pub fn ta(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, FluentValue::from(*value));
        }
        self.format(key, Some(&fluent))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        for index in [self.index, 0] {
            let bundle = &BUNDLES.0[index];
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle.format_pattern(pattern, args, &mut errors).into_owned();
            }
        }
        key.to_owned()
    }
}

/// The message keys of a Fluent source, in order.
pub fn keys_of(ftl: &str) -> Result<Vec<String>, String> {
    let resource = fluent_syntax::parser::parse(ftl).map_err(|(_, errors)| format!("{errors:?}"))?;
    Ok(resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The keys the pages use: every `.t("…")` and `.ta("…"` in the sources,
    /// and every key listed in the option tables.
    fn used_keys() -> BTreeSet<String> {
        let sources = [
            include_str!("pages.rs"),
            include_str!("lib.rs"),
            include_str!("form.rs"),
        ];
        let mut keys = BTreeSet::new();
        for source in sources {
            for marker in [".t(\"", ".ta(\"", "key: \""] {
                for (at, _) in source.match_indices(marker) {
                    let rest = &source[at + marker.len()..];
                    if let Some(end) = rest.find('"') {
                        let key = &rest[..end];
                        // The marker as written in this test's own code is not a key.
                        if !key.is_empty() && !key.contains('{') {
                            keys.insert(key.to_owned());
                        }
                    }
                }
            }
        }
        for option in crate::form::all_option_keys() {
            keys.insert(option);
        }
        for notice in crate::pages::Notice::ALL {
            let (title, text) = notice.keys();
            keys.insert(title.to_owned());
            keys.insert(text.to_owned());
        }
        for alert in crate::pages::Alert::ALL {
            keys.insert(alert.key().to_owned());
        }
        keys
    }

    /// Every language has exactly the keys English has, and every key used exists.
    #[test]
    fn every_key_is_in_every_language_and_every_used_key_exists() {
        let english: BTreeSet<String> = keys_of(LANGUAGES[0].ftl)
            .expect("en.ftl parses")
            .into_iter()
            .collect();
        let problems = missing_keys(LANGUAGES.iter().map(|l| (l.code, l.ftl)), &used_keys());
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(english.len() > 50, "only {} keys in English", english.len());
    }

    /// What is wrong with a set of translations, given the keys used.
    fn missing_keys<'a>(
        files: impl Iterator<Item = (&'a str, &'a str)>,
        used: &BTreeSet<String>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let files: Vec<_> = files.collect();
        let mut sets = Vec::new();
        for (code, ftl) in &files {
            match keys_of(ftl) {
                Ok(keys) => {
                    let set: BTreeSet<String> = keys.iter().cloned().collect();
                    if set.len() != keys.len() {
                        problems.push(format!("{code}: a key is defined twice"));
                    }
                    sets.push((*code, set));
                }
                Err(e) => problems.push(format!("{code}: does not parse: {e}")),
            }
        }
        let all: BTreeSet<String> = sets.iter().flat_map(|(_, s)| s.iter().cloned()).collect();
        for (code, set) in &sets {
            for key in all.difference(set) {
                problems.push(format!("{code}: missing `{key}`"));
            }
            for key in used.difference(set) {
                problems.push(format!("{code}: `{key}` is used by a page but not defined"));
            }
        }
        problems
    }

    /// The check above fails when a file lacks a key or a page uses an unknown one.
    #[test]
    fn a_missing_key_fails() {
        let used: BTreeSet<String> = ["hello".to_owned()].into();
        let ok = missing_keys(
            [("en", "hello = Hello\n"), ("fr", "hello = Bonjour\n")].into_iter(),
            &used,
        );
        assert!(ok.is_empty(), "{ok:?}");
        let missing = missing_keys(
            [("en", "hello = Hello\nbye = Bye\n"), ("fr", "hello = Bonjour\n")].into_iter(),
            &used,
        );
        assert_eq!(missing, vec!["fr: missing `bye`".to_owned()]);
        let unknown = missing_keys([("en", "bye = Bye\n")].into_iter(), &used);
        assert_eq!(
            unknown,
            vec!["en: `hello` is used by a page but not defined".to_owned()]
        );
        // And the real files would fail without one of their keys.
        let english = LANGUAGES[0].ftl;
        let first = english.lines().find(|l| l.contains(" = ")).expect("a message");
        let without = english.replacen(first, "", 1);
        let broken = missing_keys(
            [("en", english), ("xx", without.as_str())].into_iter(),
            &used_keys(),
        );
        assert!(!broken.is_empty());
    }

    #[test]
    fn direction_and_negotiation() {
        assert_eq!(language("ar").expect("ar").dir(), "rtl");
        assert_eq!(language("fr").expect("fr").dir(), "ltr");
        assert!(is_rtl("prs"));
        assert_eq!(negotiate(Some("ar-SY,fr;q=0.8")).code, "ar");
        assert_eq!(negotiate(Some("de-DE,es;q=0.5")).code, "es");
        assert_eq!(negotiate(None).code, "en");
    }

    #[test]
    fn messages_format_with_arguments_and_fall_back_to_english() {
        let fr = Tr::new(language("fr").expect("fr"));
        assert_eq!(fr.t("nav-search"), "Rechercher");
        assert!(
            fr.ta("history-line", &[("version", "2"), ("who", "x"), ("when", "y")])
                .contains('2')
        );
        assert_eq!(fr.t("no-such-key"), "no-such-key");
    }
}
