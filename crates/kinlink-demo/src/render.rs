//! Writes latent children as records: a case as a registrar writes it, a
//! tracing request as a relative remembers the child.
//!
//! Each record gets a `Style` (script, transliteration habit, ASCII-only
//! system, capitals...) drawn once, so one record is internally consistent
//! while two records of the same child disagree the way real ones do.

use std::borrow::Cow;

use chrono::Datelike;
use kinlink_interchange::InterchangeRow;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::calendar::{self, Calendar};
use crate::data::{Name, Place};
use crate::noise;
use crate::plan::{self, Child, Day, Family, Inquirer, Plan, Request};
use crate::translit::{self, Scheme};
use crate::{Origin, RecordMeta};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Case,
    Request(Inquirer),
}

/// How the Arabic article is written: al-Hassan, Al Hassan, Alhassan, El-Hassan, Hassan, ash-Shami.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Article {
    LowerHyphen,
    UpperHyphen,
    UpperSpace,
    Joined,
    ElHyphen,
    ElSpace,
    ElJoined,
    Dropped,
    Assimilated,
}

const ARTICLES: [Article; 9] = [
    Article::LowerHyphen,
    Article::UpperHyphen,
    Article::UpperSpace,
    Article::Joined,
    Article::ElHyphen,
    Article::ElSpace,
    Article::ElJoined,
    Article::Dropped,
    Article::Assimilated,
];

/// One registrar's or inquirer's writing habits, fixed for a whole record.
#[derive(Debug, Clone, Copy)]
struct Style {
    /// Write names in the origin's own script (Somali: Somali orthography).
    native: bool,
    /// Preferred index into `Name::latin`.
    variant: usize,
    /// Ukrainian transliteration scheme.
    scheme: Scheme,
    /// An ASCII-only system: accents dropped.
    ascii: bool,
    upper_family: bool,
    all_upper: bool,
    article: Article,
    /// Eritrean G/ W/ T/ H/ abbreviations.
    abbreviate: bool,
    /// Native-script spelling habits (hamza, teh marbuta, Ge'ez homophones).
    ortho: bool,
    /// Copied from the family's documents: every name takes the family's
    /// usual Latin spelling instead of one transliterated by ear.
    docs: bool,
}

pub struct Renderer<'a> {
    plan: &'a Plan,
    /// Key of the rendering streams; each record gets its own ChaCha stream
    /// under it, so records can be rendered in any order or in parallel
    /// and still come out the same.
    key: [u8; 32],
    rng: ChaCha8Rng,
    /// Latin spelling chosen for each name already written in this record,
    /// so a name written twice (father's name as family name and in
    /// father_name) is spelled the same within one record.
    spelled: Vec<(usize, &'static str)>,
    /// Family of the record being rendered.
    family: u32,
}

/// Names of one record, before the final noise pass.
#[derive(Default)]
struct Names {
    given: String,
    family: String,
    other: Vec<String>,
    mother: String,
    father: String,
}

/// Most spellings are table entries used as they are: borrowing them saves
/// an allocation per name part (a large share of the generation time).
type Text = Cow<'static, str>;

fn join<S: AsRef<str>>(parts: &[S]) -> String {
    let mut out = String::new();
    for p in parts.iter().map(AsRef::as_ref).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

impl<'a> Renderer<'a> {
    pub fn new(plan: &'a Plan, seed: u64) -> Self {
        // Derived apart from the plan's generator, so changing how records
        // are written never changes who exists.
        let mut k = ChaCha8Rng::seed_from_u64(seed);
        k.set_stream(u64::MAX);
        let key: [u8; 32] = k.random();
        let rng = ChaCha8Rng::from_seed(key);
        Renderer {
            plan,
            key,
            rng,
            spelled: Vec::with_capacity(8),
            family: 0,
        }
    }

    fn p(&mut self, prob: f64) -> bool {
        self.rng.random_bool(prob)
    }

    /// Picks an index by weights.
    fn pick(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.random_range(0..total.max(1));
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Picks an item by weights.
    fn pick_by<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        plan::weighted(&mut self.rng, items)
    }

    /// Starts the random stream of one record.
    fn begin(&mut self, stream: u64) {
        self.rng = ChaCha8Rng::from_seed(self.key);
        self.rng.set_stream(stream);
        self.spelled.clear();
    }

    /// Renders case number `index` (0-based) about `child`.
    pub fn case(&mut self, index: usize, child: u32, id: String) -> (InterchangeRow, RecordMeta) {
        self.begin(index as u64);
        let plan = self.plan;
        let c = &plan.children[child as usize];
        self.record(c, Kind::Case, c.case_date, id)
    }

    /// Renders request number `index` (0-based).
    pub fn request(&mut self, index: usize, req: &Request, id: String) -> (InterchangeRow, RecordMeta) {
        self.begin(1 << 40 | index as u64);
        let plan = self.plan;
        let c = &plan.children[req.child as usize];
        self.record(c, Kind::Request(req.inquirer), req.date, id)
    }

    fn style(&mut self, origin: Origin, kind: Kind) -> Style {
        let request = kind != Kind::Case;
        // Cases are mostly typed by host-country staff in Latin script;
        // relatives often write in their own script.
        let native_p = match (origin, request) {
            (Origin::Syrian, false) => 0.10,
            (Origin::Syrian, true) => 0.40,
            (Origin::Iraqi, false) => 0.15,
            (Origin::Iraqi, true) => 0.45,
            (Origin::Sudanese, false) => 0.10,
            (Origin::Sudanese, true) => 0.35,
            (Origin::Afghan, false) => 0.10,
            (Origin::Afghan, true) => 0.50,
            (Origin::Somali, false) => 0.25,
            (Origin::Somali, true) => 0.55,
            (Origin::Eritrean, false) => 0.08,
            (Origin::Eritrean, true) => 0.40,
            (Origin::Ukrainian, false) => 0.30,
            (Origin::Ukrainian, true) => 0.55,
            (Origin::CentralAmerican | Origin::Congolese, _) => 0.0,
        };
        // How often a record copies the spelling the family itself uses
        // (documents, or the parent's own habit) rather than a spelling by ear.
        let docs_p = match (origin, request) {
            (Origin::CentralAmerican, false) => 0.85,
            (Origin::CentralAmerican, true) => 0.95,
            (Origin::Ukrainian, _) => 0.7,
            (Origin::Congolese, false) => 0.6,
            (Origin::Congolese, true) => 0.8,
            (Origin::Syrian, false) => 0.45,
            (Origin::Iraqi, false) => 0.4,
            (Origin::Sudanese, false) => 0.35,
            (Origin::Somali | Origin::Eritrean, false) => 0.3,
            (Origin::Afghan, false) => 0.25,
            (Origin::Afghan, true) => 0.4,
            (_, true) => 0.5,
        };
        let variant = self.pick(&[55, 25, 12, 8]);
        let scheme = [
            Scheme::National,
            Scheme::Russian,
            Scheme::Legacy,
            Scheme::German,
            Scheme::French,
        ][self.pick(&[40, 28, 16, 9, 7])];
        let article_w: &[u32] = if origin == Origin::Sudanese {
            &[10, 10, 5, 3, 15, 20, 15, 20, 2]
        } else {
            &[30, 15, 12, 8, 5, 3, 2, 20, 5]
        };
        let article = ARTICLES[self.pick(article_w)];
        let ascii_p = match (origin, request) {
            (Origin::CentralAmerican, false) => 0.7,
            (Origin::Congolese, false) => 0.5,
            (_, false) => 0.6,
            (_, true) => 0.3,
        };
        Style {
            native: self.p(native_p),
            variant,
            scheme,
            ascii: self.p(ascii_p),
            upper_family: self.p(if origin == Origin::Congolese { 0.6 } else { 0.08 }),
            all_upper: self.p(0.06),
            article,
            abbreviate: self.p(0.35),
            ortho: self.p(0.25),
            docs: self.p(docs_p),
        }
    }

    /// Spells a name (or place) from the tables according to the style.
    fn spell(&mut self, name: &'static Name, st: &Style) -> Text {
        self.spell_forms(name.latin, name.native, st)
    }

    fn spell_place(&mut self, place: &'static Place, st: &Style) -> Text {
        self.spell_forms(place.latin, place.native, st)
    }

    fn spell_forms(&mut self, latin: &'static [&'static str], native: &'static str, st: &Style) -> Text {
        if st.native && !native.is_empty() {
            let mut s = Text::Borrowed(native);
            if st.abbreviate
                && let Some(a) = abbreviate_geez(&s)
            {
                s = a.into();
            }
            if st.ortho {
                s = noise::orthographic_variant(&s, &mut self.rng).into();
            }
            return s;
        }
        let key = latin.as_ptr() as usize;
        let chosen = match self.spelled.iter().find(|(k, _)| *k == key) {
            Some(&(_, s)) => s,
            None => {
                let i = if st.docs {
                    self.usual_variant(latin)
                } else if self.p(0.8) {
                    st.variant
                } else {
                    self.rng.random_range(0..latin.len())
                };
                let s = latin.get(i).or(latin.first()).copied().unwrap_or("");
                self.spelled.push((key, s));
                s
            }
        };
        let mut s = match chosen.strip_prefix("al-") {
            Some(base) => Text::Owned(with_article(base, st.article)),
            None => Text::Borrowed(chosen),
        };
        if st.abbreviate
            && let Some(a) = abbreviate_latin(&s)
        {
            s = a.into();
        }
        if st.ascii && !s.is_ascii() {
            s = noise::strip_accents(&s).into();
        }
        s
    }

    /// The Latin spelling this record's family usually uses for a name: fixed
    /// per family and name (a hash, not the record's random stream), most
    /// often the commonest spelling.
    fn usual_variant(&self, latin: &'static [&'static str]) -> usize {
        let i = match self.family_hash(latin.first().copied().unwrap_or("")) % 100 {
            0..55 => 0,
            55..80 => 1,
            80..92 => 2,
            _ => 3,
        };
        if i < latin.len() { i } else { 0 }
    }

    /// A number fixed for the current family and `what`: FNV-1a, stable
    /// across runs and platforms (unlike a table's address).
    fn family_hash(&self, what: &str) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.family.to_le_bytes().iter().chain(what.as_bytes()) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }

    /// A Ukrainian name from Cyrillic: the table's forms for given names,
    /// transliteration for everything derived (feminine surnames, patronymics).
    fn spell_ua(&mut self, cyr: &str, given: Option<&'static Name>, st: &Style) -> Text {
        if st.native {
            return if st.ortho {
                noise::orthographic_variant(cyr, &mut self.rng)
            } else {
                cyr.to_string()
            }
            .into();
        }
        if let Some(n) = given {
            // National / Russian-derived / English / legacy forms from the table.
            let idx = match st.scheme {
                Scheme::National => Some(0),
                Scheme::Russian => Some(1),
                Scheme::Legacy => Some(if self.p(0.5) { 3 } else { 2 }),
                Scheme::German | Scheme::French => None,
            };
            if let Some(i) = idx {
                return Text::Borrowed(n.latin.get(i).or(n.latin.first()).copied().unwrap_or(""));
            }
        }
        let s = translit::translit(cyr, st.scheme);
        if st.ascii && !s.is_ascii() {
            noise::strip_accents(&s)
        } else {
            s
        }
        .into()
    }

    fn record(
        &mut self,
        c: &Child,
        kind: Kind,
        record_date: Day,
        id: String,
    ) -> (InterchangeRow, RecordMeta) {
        let plan = self.plan;
        let fam = &plan.families[c.family as usize];
        let origin = fam.origin;
        self.family = c.family;
        let mut st = self.style(origin, kind);
        if st.docs {
            // Documents fix the whole spelling: the article, the abbreviations
            // and, for Ukrainians, the national transliteration.
            st.scheme = Scheme::National;
            st.article = ARTICLES[(self.family_hash("article") % 3) as usize];
            st.abbreviate = self.family_hash("abbreviate").is_multiple_of(3);
        }
        let mut n = match origin {
            Origin::Syrian | Origin::Iraqi => self.arabic_names(fam, c, kind, &st),
            Origin::Sudanese | Origin::Somali | Origin::Eritrean => self.chain_names(fam, c, kind, &st),
            Origin::Afghan => self.afghan_names(fam, c, kind, &st),
            Origin::CentralAmerican => self.spanish_names(fam, c, kind, &st),
            Origin::Ukrainian => self.ukrainian_names(fam, c, kind, &st),
            Origin::Congolese => self.congolese_names(fam, c, kind, &st),
        };
        self.name_noise(&mut n, origin, kind, &st);

        let request = kind != Kind::Case;
        let (birth_date, birth_calendar, age_estimate) = self.birth(origin, c, kind, record_date);
        let d = origin.data();
        let place = &d.places[fam.place as usize];
        let place_of_origin = if self.p(if request { 0.08 } else { 0.15 }) {
            String::new()
        } else {
            let s = self.spell_place(place, &st);
            if self.p(0.08) {
                noise::typo(&s, &mut self.rng)
            } else {
                s.into_owned()
            }
        };
        let separation_place = match self.pick(if request { &[50, 15, 35] } else { &[72, 3, 25] }) {
            0 => {
                let s = self.spell_place(&d.transit[fam.transit as usize], &st);
                if self.p(0.08) {
                    noise::typo(&s, &mut self.rng)
                } else {
                    s.into_owned()
                }
            }
            // The family believes the child was lost at home.
            1 => self.spell_place(place, &st).into_owned(),
            _ => String::new(),
        };
        let country_of_origin = if self.p(0.03) {
            String::new()
        } else if origin == Origin::CentralAmerican && self.p(0.02) {
            // Neighbouring country written by mistake.
            d.countries[self.rng.random_range(0..d.countries.len())].to_string()
        } else {
            fam.country.to_string()
        };
        let languages = self.languages(fam, request);
        let mut separation_date = self.separation(fam.separation, c.birth, record_date, request);
        let (mut birth_date, mut birth_calendar) = (birth_date, birth_calendar);
        if !stated_birth_fits(&birth_date, &birth_calendar, &separation_date) {
            // An estimated birth year or a shifted separation date crossed the
            // other: nobody writes a separation before the birth, and the
            // importer refuses it. Write the true dates instead.
            let sep = plan::date(fam.separation.max(c.birth));
            separation_date =
                calendar::format_partial(sep.year(), Some(sep.month() as u8), Some(sep.day() as u8));
            if !stated_birth_fits(&birth_date, &birth_calendar, &separation_date) {
                let b = plan::date(c.birth);
                birth_date = calendar::format_partial(b.year(), Some(b.month() as u8), Some(b.day() as u8));
                birth_calendar = String::new();
            }
        }
        let sex = if self.p(if request { 0.03 } else { 0.02 }) {
            String::new()
        } else if c.female {
            "F".to_string()
        } else {
            "M".to_string()
        };
        let script = noise::script_of(if n.given.is_empty() { &n.family } else { &n.given });
        let row = InterchangeRow {
            id: id.clone(),
            given_name: n.given,
            family_name: n.family,
            other_names: n.other.join(";"),
            sex,
            birth_date,
            birth_calendar,
            age_estimate,
            record_date: {
                let d = plan::date(record_date);
                calendar::format_partial(d.year(), Some(d.month() as u8), Some(d.day() as u8))
            },
            country_of_origin,
            place_of_origin,
            separation_date,
            separation_place,
            mother_name: n.mother,
            father_name: n.father,
            languages,
            ..InterchangeRow::default()
        };
        (row, RecordMeta { id, origin, script })
    }

    /// The child's given name, sometimes a nickname (relatives use them).
    fn given(&mut self, name: &'static Name, kind: Kind, st: &Style) -> Text {
        let nick_p = if kind == Kind::Case { 0.03 } else { 0.10 };
        if !name.nick.is_empty() && self.p(nick_p) {
            let (latin, native) = name.nick[self.rng.random_range(0..name.nick.len())];
            if st.native && !native.is_empty() {
                return Text::Borrowed(native);
            }
            return Text::Borrowed(latin);
        }
        self.spell(name, st)
    }

    fn child_name(&self, fam: &Family, c: &Child) -> &'static Name {
        let d = fam.origin.data();
        if c.female {
            &d.female[c.given as usize]
        } else {
            &d.male[c.given as usize]
        }
    }

    /// Syrian and Iraqi: a family (or tribal) name, plus the father's and
    /// grandfather's names that registrars put anywhere.
    fn arabic_names(&mut self, fam: &Family, c: &Child, kind: Kind, st: &Style) -> Names {
        let d = fam.origin.data();
        let male = |i: u16| &d.male[i as usize];
        let given_name = self.child_name(fam, c);
        let mut given = self.given(given_name, kind, st);
        let fa = self.spell(male(fam.father), st);
        let gf = self.spell(male(fam.grandfather), st);
        let surname = if fam.has_surname {
            self.spell(&d.family[fam.surname as usize], st)
        } else {
            Text::Borrowed("")
        };
        // Syrian boys are often registered "Mohammad X" / "Mhd X" and called X.
        if !c.female && given_name.native != MOHAMMAD && self.p(0.05) {
            let mhd = self.spell(mohammad(d), st);
            given = format!("{mhd} {given}").into();
        }
        let family = if fam.has_surname {
            match self.pick(&[80, 10, 4, 3, 3]) {
                0 => surname.to_string(),
                1 => fa.to_string(),
                2 => gf.to_string(),
                3 => join(&[&fa, &surname]),
                _ => String::new(),
            }
        } else {
            match self.pick(&[55, 25, 10, 10]) {
                0 => fa.to_string(),
                1 => gf.to_string(),
                2 => join(&[&fa, &gf]),
                _ => String::new(),
            }
        };
        let mut other = Vec::new();
        match self.pick(&[45, 30, 25]) {
            0 => {}
            1 if !family.contains(&*fa) => other.push(fa.to_string()),
            _ => {
                if !family.contains(&*fa) {
                    other.push(fa.to_string());
                }
                other.push(gf.to_string());
            }
        }
        let ms = self.spell(&d.family[fam.mother_surname as usize], st);
        let m = self.spell(&d.female[fam.mother as usize], st);
        let mf = self.spell(male(fam.mother_father), st);
        let own_father = join(&[&fa, &gf, &surname]);
        let own_mother = if self.p(0.8) {
            join(&[&m, &ms])
        } else {
            join(&[&m, &mf, &ms])
        };
        let (mother, father) = match kind {
            Kind::Request(Inquirer::Father) => (self.maybe(0.6, &m), own_father),
            Kind::Request(Inquirer::Mother) => (own_mother, self.maybe(0.8, &join(&[&fa, &surname]))),
            Kind::Request(_) => self.known_parents(&m, &join(&[&fa, &surname]), 0.5, 0.6),
            Kind::Case => {
                let father = match self.pick(&[45, 25, 10, 20]) {
                    0 => join(&[&fa, &surname]),
                    1 => fa.to_string(),
                    2 => own_father,
                    _ => String::new(),
                };
                let mother = match self.pick(&[40, 30, 30]) {
                    0 => join(&[&m, &ms]),
                    1 => m.into_owned(),
                    _ => String::new(),
                };
                (mother, father)
            }
        };
        Names {
            given: given.into_owned(),
            family,
            other,
            mother,
            father,
        }
    }

    /// The parents' names in a request filed by another relative (aunt,
    /// grandparent, sibling): each as far as that relative knows it, but at
    /// least one, since the importer reads the first named parent as the
    /// inquirer's anchor and refuses a request naming none.
    fn known_parents(
        &mut self,
        mother: &str,
        father: &str,
        p_mother: f64,
        p_father: f64,
    ) -> (String, String) {
        let (mut m, mut f) = (self.p(p_mother), self.p(p_father));
        if !m && !f {
            m = self.p(0.5);
            f = !m;
        }
        (
            if m { mother.to_string() } else { String::new() },
            if f { father.to_string() } else { String::new() },
        )
    }

    fn maybe(&mut self, prob: f64, s: &str) -> String {
        if self.p(prob) {
            s.to_string()
        } else {
            String::new()
        }
    }

    /// Sudanese, Somali, Eritrean: name chains (given, father, grandfather,
    /// great-grandfather); the "family name" is whichever link a registrar took.
    fn chain_names(&mut self, fam: &Family, c: &Child, kind: Kind, st: &Style) -> Names {
        let d = fam.origin.data();
        let male = |i: u16| &d.male[i as usize];
        let given = {
            let name = self.child_name(fam, c);
            self.given(name, kind, st)
        };
        let fa = self.spell(male(fam.father), st);
        let gf = self.spell(male(fam.grandfather), st);
        let ggf = self.spell(male(fam.great_grandfather), st);
        let weights: &[u32] = if kind == Kind::Case {
            &[55, 20, 15, 10]
        } else {
            &[60, 10, 25, 5]
        };
        let (family, mut other) = match self.pick(weights) {
            0 => (fa.to_string(), self.opt_list(&[(0.4, &*gf), (0.1, &*ggf)])),
            1 => (gf.to_string(), self.opt_list(&[(0.6, &*fa)])),
            2 => (join(&[&fa, &gf]), self.opt_list(&[(0.15, &*ggf)])),
            _ => (String::new(), self.opt_list(&[(0.7, &*fa), (0.5, &*gf)])),
        };
        other.dedup();
        let m = self.spell(&d.female[fam.mother as usize], st);
        let mf = self.spell(male(fam.mother_father), st);
        let own_father = if self.p(0.6) {
            join(&[&fa, &gf])
        } else {
            join(&[&fa, &gf, &ggf])
        };
        let (mother, father) = match kind {
            Kind::Request(Inquirer::Father) => (self.maybe(0.6, &m), own_father),
            Kind::Request(Inquirer::Mother) => (join(&[&m, &mf]), self.maybe(0.85, &join(&[&fa, &gf]))),
            Kind::Request(_) => self.known_parents(&m, &join(&[&fa, &gf]), 0.5, 0.7),
            Kind::Case => {
                let father = match self.pick(&[50, 20, 15, 15]) {
                    0 => join(&[&fa, &gf]),
                    1 => own_father,
                    2 => fa.to_string(),
                    _ => String::new(),
                };
                let mother = match self.pick(&[50, 30, 20]) {
                    0 => join(&[&m, &mf]),
                    1 => m.into_owned(),
                    _ => String::new(),
                };
                (mother, father)
            }
        };
        Names {
            given: given.into_owned(),
            family,
            other,
            mother,
            father,
        }
    }

    fn opt_list(&mut self, items: &[(f64, &str)]) -> Vec<String> {
        let mut out = Vec::new();
        for &(prob, s) in items {
            if self.p(prob) {
                out.push(s.to_string());
            }
        }
        out
    }

    /// Afghan: often no family name; the father's name is what identifies.
    fn afghan_names(&mut self, fam: &Family, c: &Child, kind: Kind, st: &Style) -> Names {
        let d = fam.origin.data();
        let male = |i: u16| &d.male[i as usize];
        let given_name = self.child_name(fam, c);
        let mut given = self.given(given_name, kind, st);
        if !c.female && given_name.native != MOHAMMAD && self.p(0.06) {
            let mhd = self.spell(mohammad(d), st);
            given = format!("{mhd} {given}").into();
        }
        let fa = self.spell(male(fam.father), st);
        let gf = self.spell(male(fam.grandfather), st);
        let surname = if fam.has_surname {
            self.spell(&d.family[fam.surname as usize], st)
        } else {
            Text::Borrowed("")
        };
        let family = if fam.has_surname {
            match self.pick(&[70, 15, 15]) {
                0 => surname.to_string(),
                1 => fa.to_string(),
                _ => String::new(),
            }
        } else {
            match self.pick(&[45, 45, 10]) {
                0 => fa.to_string(),
                1 => String::new(),
                _ => gf.to_string(),
            }
        };
        let mut other = Vec::new();
        if family != fa && self.p(0.2) {
            other.push(fa.to_string());
        }
        let m = self.spell(&d.female[fam.mother as usize], st);
        let (mother, father) = match kind {
            Kind::Request(Inquirer::Father) => (self.maybe(0.4, &m), join(&[&fa, &surname])),
            Kind::Request(Inquirer::Mother) => (m.into_owned(), self.maybe(0.9, &fa)),
            Kind::Request(_) => self.known_parents(&m, &fa, 0.3, 0.85),
            Kind::Case => {
                let father = match self.pick(&[60, 20, 20]) {
                    0 => fa.to_string(),
                    1 => join(&[&fa, &surname]),
                    _ => String::new(),
                };
                // Mothers' names are often not said to strangers.
                (self.maybe(0.45, &m), father)
            }
        };
        Names {
            given: given.into_owned(),
            family,
            other,
            mother,
            father,
        }
    }

    /// Guatemala, Honduras, El Salvador: two surnames, often only one kept.
    fn spanish_names(&mut self, fam: &Family, c: &Child, kind: Kind, st: &Style) -> Names {
        let d = fam.origin.data();
        let sur = |i: u16| &d.family[i as usize];
        let mut given = {
            let name = self.child_name(fam, c);
            self.given(name, kind, st)
        }
        .into_owned();
        let mut other = Vec::new();
        // "María José" split into given and middle name by a form with one box.
        if self.p(0.12)
            && let Some((a, b)) = given.split_once(' ')
        {
            other.push(b.to_string());
            given = a.to_string();
        }
        let s1 = self.spell(sur(fam.surname), st);
        let s2 = self.spell(sur(fam.surname2), st);
        let weights: &[u32] = if kind == Kind::Case {
            &[55, 35, 3, 2, 5]
        } else {
            &[75, 20, 2, 1, 2]
        };
        let family = match self.pick(weights) {
            0 => join(&[&s1, &s2]),
            1 => s1.to_string(),
            2 => s2.to_string(), // maternal surname taken for the paternal one
            3 => format!("{s1}-{s2}"),
            _ => String::new(),
        };
        let fa = self.spell(&d.male[fam.father as usize], st);
        let fs2 = self.spell(sur(fam.father_surname2), st);
        let m = self.spell(&d.female[fam.mother as usize], st);
        let ms2 = self.spell(sur(fam.mother_surname2), st);
        let (mother, father) = match kind {
            Kind::Request(Inquirer::Mother) => {
                let mother = if self.p(0.7) {
                    join(&[&m, &s2, &ms2])
                } else {
                    join(&[&m, &s2])
                };
                (mother, self.maybe(0.6, &join(&[&fa, &s1])))
            }
            Kind::Request(Inquirer::Father) => {
                let father = if self.p(0.7) {
                    join(&[&fa, &s1, &fs2])
                } else {
                    join(&[&fa, &s1])
                };
                (self.maybe(0.8, &join(&[&m, &s2])), father)
            }
            Kind::Request(_) => self.known_parents(&join(&[&m, &s2]), &join(&[&fa, &s1]), 0.8, 0.5),
            Kind::Case => {
                let mother = match self.pick(&[50, 35, 15]) {
                    0 => join(&[&m, &s2, &ms2]),
                    1 => join(&[&m, &s2]),
                    _ => String::new(),
                };
                // Absent fathers are common in these files.
                let father = match self.pick(&[40, 35, 25]) {
                    0 => join(&[&fa, &s1, &fs2]),
                    1 => join(&[&fa, &s1]),
                    _ => String::new(),
                };
                (mother, father)
            }
        };
        Names {
            given,
            family,
            other,
            mother,
            father,
        }
    }

    /// Ukrainian: gendered family names and patronymics, in Cyrillic or one
    /// of several transliterations.
    fn ukrainian_names(&mut self, fam: &Family, c: &Child, kind: Kind, st: &Style) -> Names {
        let d = fam.origin.data();
        let given_name = self.child_name(fam, c);
        let given = if !given_name.nick.is_empty() && self.p(if kind == Kind::Case { 0.03 } else { 0.10 }) {
            let (latin, cyr) = given_name.nick[self.rng.random_range(0..given_name.nick.len())];
            Text::Borrowed(if st.native { cyr } else { latin })
        } else {
            self.spell_ua(given_name.native, Some(given_name), st)
        };
        let masc = d.family[fam.surname as usize].native;
        let fem = translit::feminine_surname(masc);
        let family = self
            .spell_ua(if c.female { &fem } else { masc }, None, st)
            .into_owned();
        let father_name = &d.male[fam.father as usize];
        let patronymic = translit::patronymic(father_name.native, c.female);
        let mut other = Vec::new();
        if self.p(if st.native { 0.7 } else { 0.4 }) {
            other.push(self.spell_ua(&patronymic, None, st).into_owned());
        }
        let fa = self.spell_ua(father_name.native, Some(father_name), st);
        let fa_sur = self.spell_ua(masc, None, st);
        let fa_pat = self.spell_ua(
            &translit::patronymic(d.male[fam.grandfather as usize].native, false),
            None,
            st,
        );
        let mother_name = &d.female[fam.mother as usize];
        let m = self.spell_ua(mother_name.native, Some(mother_name), st);
        let m_sur_fem = translit::feminine_surname(d.family[fam.mother_surname as usize].native);
        let m_sur = self.spell_ua(&m_sur_fem, None, st);
        let m_pat = self.spell_ua(
            &translit::patronymic(d.male[fam.mother_father as usize].native, true),
            None,
            st,
        );
        let (mother, father) = match kind {
            Kind::Request(Inquirer::Mother) => {
                let mother = if self.p(0.3) {
                    join(&[&m, &m_sur, &m_pat])
                } else {
                    join(&[&m, &m_sur])
                };
                (mother, self.maybe(0.7, &join(&[&fa, &fa_sur])))
            }
            Kind::Request(Inquirer::Father) => {
                let father = if self.p(0.3) {
                    join(&[&fa, &fa_sur, &fa_pat])
                } else {
                    join(&[&fa, &fa_sur])
                };
                (self.maybe(0.8, &join(&[&m, &m_sur])), father)
            }
            Kind::Request(_) => self.known_parents(&join(&[&m, &m_sur]), &join(&[&fa, &fa_sur]), 0.8, 0.6),
            Kind::Case => {
                let mother = match self.pick(&[60, 15, 10, 15]) {
                    0 => join(&[&m, &m_sur]),
                    1 => join(&[&m, &m_sur, &m_pat]),
                    2 => m.into_owned(),
                    _ => String::new(),
                };
                let father = match self.pick(&[45, 10, 10, 35]) {
                    0 => join(&[&fa, &fa_sur]),
                    1 => join(&[&fa, &fa_sur, &fa_pat]),
                    2 => fa.into_owned(),
                    _ => String::new(),
                };
                (mother, father)
            }
        };
        Names {
            given: given.into_owned(),
            family,
            other,
            mother,
            father,
        }
    }

    /// DRC: NOM POSTNOM Prénom, read in every order.
    fn congolese_names(&mut self, fam: &Family, c: &Child, kind: Kind, st: &Style) -> Names {
        let d = fam.origin.data();
        let prenom = {
            let name = self.child_name(fam, c);
            self.given(name, kind, st)
        };
        let nom = self.spell(&d.family[c.own_surname.unwrap_or(fam.surname) as usize], st);
        let postnom = self.spell(&d.family[c.postnom as usize], st);
        let (given, family, other) = match self.pick(&[50, 20, 18, 12]) {
            0 => (prenom.into_owned(), nom.into_owned(), vec![postnom.into_owned()]),
            1 => (prenom.into_owned(), join(&[&nom, &postnom]), vec![]),
            // Read left to right from "NOM POSTNOM Prénom".
            2 => (nom.into_owned(), postnom.into_owned(), vec![prenom.into_owned()]),
            _ => (postnom.into_owned(), nom.into_owned(), vec![]),
        };
        let fa = self.spell(&d.male[fam.father as usize], st);
        let fa_nom = self.spell(&d.family[fam.surname as usize], st);
        let m = self.spell(&d.female[fam.mother as usize], st);
        let m_nom = self.spell(&d.family[fam.mother_surname as usize], st);
        let full_father = if self.p(0.5) {
            join(&[&fa_nom, &fa])
        } else {
            join(&[&fa, &fa_nom])
        };
        let full_mother = if self.p(0.5) {
            join(&[&m_nom, &m])
        } else {
            join(&[&m, &m_nom])
        };
        let (mother, father) = match kind {
            Kind::Request(Inquirer::Mother) => (full_mother, self.maybe(0.8, &full_father)),
            Kind::Request(Inquirer::Father) => (self.maybe(0.7, &full_mother), full_father),
            Kind::Request(_) => self.known_parents(&full_mother, &full_father, 0.6, 0.6),
            Kind::Case => (self.maybe(0.6, &full_mother), self.maybe(0.65, &full_father)),
        };
        Names {
            given,
            family,
            other,
            mother,
            father,
        }
    }

    /// Typos, swapped given/family names, capitals.
    fn name_noise(&mut self, n: &mut Names, origin: Origin, kind: Kind, st: &Style) {
        let rate = if kind == Kind::Case { 0.04 } else { 0.05 };
        for field in [&mut n.given, &mut n.family, &mut n.mother, &mut n.father] {
            if !field.is_empty() && self.rng.random_bool(rate) {
                *field = noise::typo(field, &mut self.rng);
            }
        }
        for o in &mut n.other {
            if self.rng.random_bool(0.03) {
                *o = noise::typo(o, &mut self.rng);
            }
        }
        if origin != Origin::Congolese && !n.family.is_empty() && self.p(0.04) {
            std::mem::swap(&mut n.given, &mut n.family);
        }
        if st.upper_family {
            n.family = n.family.to_uppercase();
        }
        if st.all_upper {
            for f in [&mut n.given, &mut n.family, &mut n.mother, &mut n.father] {
                *f = f.to_uppercase();
            }
            for o in &mut n.other {
                *o = o.to_uppercase();
            }
        }
        n.other.retain(|o| !o.is_empty());
    }

    fn languages(&mut self, fam: &Family, request: bool) -> String {
        let all: Vec<&str> = plan::languages(fam.origin)
            .iter()
            .enumerate()
            .filter(|(i, _)| fam.langs & (1 << i) != 0)
            .map(|(_, &(code, _))| code)
            .collect();
        let weights: &[u32] = if request { &[30, 50, 20] } else { &[75, 15, 10] };
        match self.pick(weights) {
            0 => all.join(";"),
            1 => all.first().copied().unwrap_or("").to_string(),
            _ => String::new(),
        }
    }

    /// Separation date as the child or the family remembers it: partial,
    /// approximate, never after the record.
    fn separation(&mut self, sep: Day, birth: Day, record: Day, request: bool) -> String {
        let weights: &[u32] = if request {
            &[40, 35, 10, 15]
        } else {
            &[25, 35, 15, 25]
        };
        let form = self.pick(weights);
        if form == 3 {
            return String::new();
        }
        let spread = if request { 10 } else { 45 };
        let shifted = if self.p(0.5) {
            sep + self.rng.random_range(-spread..=spread)
        } else {
            sep
        };
        let d = plan::date(shifted.min(record).max(birth));
        let (y, m, dd) = (d.year(), d.month() as u8, d.day() as u8);
        match form {
            0 => calendar::format_partial(y, Some(m), Some(dd)),
            1 => calendar::format_partial(y, Some(m), None),
            _ => calendar::format_partial(y, None, None),
        }
    }

    /// Birth date, calendar and age estimate as written.
    fn birth(&mut self, origin: Origin, c: &Child, kind: Kind, record: Day) -> (String, String, String) {
        use DateForm::*;
        let table: &[(DateForm, u32)] = match (origin, kind == Kind::Case) {
            (Origin::Afghan, true) => &[
                (GFull, 20),
                (GJan1, 25),
                (GYear, 10),
                (ShFull, 10),
                (ShYear, 10),
                (Age, 25),
            ],
            (Origin::Afghan, false) => &[
                (ShFull, 30),
                (ShYear, 25),
                (ShYm, 5),
                (GFull, 15),
                (GYear, 5),
                (Age, 20),
            ],
            (Origin::Eritrean, true) => &[(GFull, 45), (EtFull, 10), (GYear, 10), (GJan1, 10), (Age, 25)],
            (Origin::Eritrean, false) => &[
                (EtFull, 40),
                (EtYear, 10),
                (GFull, 30),
                (Age, 15),
                (EtAsGregorian, 5),
            ],
            (Origin::Somali, true) => &[(GFull, 30), (GJan1, 35), (GYear, 10), (Age, 25)],
            (Origin::Somali, false) => &[(GFull, 40), (GYear, 25), (Age, 30), (IslFull, 5)],
            (Origin::Sudanese, true) => &[(GFull, 50), (GYear, 15), (GJan1, 10), (Age, 25)],
            (Origin::Sudanese, false) => &[(GFull, 60), (GYear, 15), (IslFull, 5), (Age, 20)],
            (Origin::Syrian | Origin::Iraqi, true) => {
                &[(GFull, 65), (GYm, 5), (GYear, 10), (GJan1, 5), (Age, 15)]
            }
            (Origin::Syrian | Origin::Iraqi, false) => &[
                (GFull, 72),
                (GYm, 5),
                (GYear, 6),
                (IslFull, 3),
                (IslYear, 1),
                (Age, 13),
            ],
            (Origin::Ukrainian, true) => &[(GFull, 90), (Age, 10)],
            (Origin::Ukrainian, false) => &[(GFull, 95), (Age, 5)],
            (Origin::CentralAmerican, true) => &[(GFull, 75), (GYear, 10), (Age, 15)],
            (Origin::CentralAmerican, false) => &[(GFull, 85), (GYear, 5), (Age, 10)],
            (Origin::Congolese, true) => &[(GFull, 50), (GYear, 15), (GJan1, 10), (Age, 25)],
            (Origin::Congolese, false) => &[(GFull, 60), (GYear, 15), (Age, 25)],
        };
        let form = self.pick_by(table);
        let true_age = age_at(c.birth, record);
        let birth = plan::date(c.birth);
        let mut age = String::new();
        let mut cal = "";
        let date = match form {
            Age => {
                age = if kind == Kind::Case {
                    self.assessed_age(true_age)
                } else if self.p(0.85) {
                    true_age.to_string()
                } else {
                    (true_age + self.rng.random_range(-1..=1)).max(0).to_string()
                };
                String::new()
            }
            GFull => {
                let (y, m, d) = (birth.year(), birth.month() as u8, birth.day() as u8);
                if kind != Kind::Case {
                    self.misremembered(y, m, d, record)
                } else {
                    calendar::format_partial(y, Some(m), Some(d))
                }
            }
            GYm => calendar::format_partial(birth.year(), Some(birth.month() as u8), None),
            GYear => calendar::format_partial(birth.year(), None, None),
            GJan1 => {
                // The 1 January placeholder, often for a year derived from an age assessment.
                let mut y = birth.year();
                if self.p(0.5) {
                    y -= self.rng.random_range(-1..=2);
                }
                let y = y.min(plan::date(record).year());
                calendar::format_partial(y, Some(1), Some(1))
            }
            ShFull | ShYm | ShYear | EtFull | EtYear | IslFull | IslYear => {
                let c = match form {
                    ShFull | ShYm | ShYear => Calendar::SolarHijri,
                    EtFull | EtYear => Calendar::Ethiopian,
                    _ => Calendar::Islamic,
                };
                cal = c.as_str();
                let (y, m, d) = calendar::from_gregorian(birth, c);
                match form {
                    ShFull | EtFull | IslFull => calendar::format_partial(y, Some(m), Some(d)),
                    ShYm => calendar::format_partial(y, Some(m), None),
                    _ => calendar::format_partial(y, None, None),
                }
            }
            EtAsGregorian => {
                // An Ethiopian year written into a Gregorian form: 7-8 years off.
                let (y, _, _) = calendar::from_gregorian(birth, Calendar::Ethiopian);
                calendar::format_partial(y, None, None)
            }
        };
        // Registrars add an age next to a date fairly often.
        if !date.is_empty() && kind == Kind::Case && self.p(0.2) {
            age = true_age.to_string();
        }
        let calendar = if cal.is_empty() && !date.is_empty() && self.p(0.3) {
            "gregorian".to_string()
        } else {
            cal.to_string()
        };
        (date, calendar, age)
    }

    /// A parent's memory of a Gregorian birth date: mostly right, sometimes
    /// day and month swapped (03/04 read the other way) or a year off.
    fn misremembered(&mut self, y: i32, m: u8, d: u8, record: Day) -> String {
        let (mut y2, mut m2, mut d2) = (y, m, d);
        match self.pick(&[92, 4, 3, 1]) {
            1 if d <= 12 && d != m => std::mem::swap(&mut m2, &mut d2),
            2 => y2 += if self.p(0.5) { 1 } else { -1 },
            3 => d2 = (d % 28) + 1,
            _ => {}
        }
        // A slip that would put the birth after the request is not written.
        match chrono::NaiveDate::from_ymd_opt(y2, u32::from(m2), u32::from(d2)) {
            Some(nd) if nd <= plan::date(record) => calendar::format_partial(y2, Some(m2), Some(d2)),
            _ => calendar::format_partial(y, Some(m), Some(d)),
        }
    }

    /// Age assessment of a child without papers: often 1-3 years off, sometimes a range.
    fn assessed_age(&mut self, true_age: i32) -> String {
        let err = [0, 1, 2, 3, -1, -2][self.pick(&[45, 20, 12, 5, 13, 5])];
        let a = (true_age + err).max(0);
        if self.p(0.25) {
            if self.p(0.5) && a > 0 {
                format!("{}-{}", a - 1, a + 1)
            } else {
                format!("{}-{}", a, a + 2)
            }
        } else {
            a.to_string()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateForm {
    GFull,
    GYm,
    GYear,
    GJan1,
    ShFull,
    ShYm,
    ShYear,
    EtFull,
    EtYear,
    EtAsGregorian,
    IslFull,
    IslYear,
    Age,
}

/// Whether a stated birth date can precede a stated separation date (both
/// partial; the birth in its calendar).
fn stated_birth_fits(birth: &str, cal: &str, separation: &str) -> bool {
    let born = cal
        .parse::<Calendar>()
        .ok()
        .and_then(|c| calendar::parse_partial_earliest(birth, c));
    let separated = calendar::parse_partial_latest(separation, Calendar::Gregorian);
    match (born, separated) {
        (Some(b), Some(s)) => b <= s,
        _ => true,
    }
}

const MOHAMMAD: &str = "محمد";

/// The origin's Mohammad, used as a first element of boys' names.
fn mohammad(d: &'static crate::data::OriginData) -> &'static Name {
    // Every Arabic-script origin lists Mohammad; fall back to the most common name.
    d.male.iter().find(|n| n.native == MOHAMMAD).unwrap_or(&d.male[0])
}

/// Completed years between two days.
fn age_at(birth: Day, on: Day) -> i32 {
    let (b, o) = (plan::date(birth), plan::date(on));
    let mut years = o.year() - b.year();
    if (o.month(), o.day()) < (b.month(), b.day()) {
        years -= 1;
    }
    years.max(0)
}

/// Writes `base` ("Khatib") with the Arabic article the way `a` says.
fn with_article(base: &str, a: Article) -> String {
    let lower = base.to_lowercase();
    match a {
        Article::LowerHyphen => format!("al-{base}"),
        Article::UpperHyphen => format!("Al-{base}"),
        Article::UpperSpace => format!("Al {base}"),
        Article::Joined => format!("Al{lower}"),
        Article::ElHyphen => format!("El-{base}"),
        Article::ElSpace => format!("El {base}"),
        Article::ElJoined => format!("El{lower}"),
        Article::Dropped => base.to_string(),
        Article::Assimilated => {
            // Sun letters assimilate the l: ash-Shami, an-Najjar, az-Zoubi.
            let sun = ["Sh", "Th", "Dh", "T", "D", "R", "Z", "S", "N"];
            match sun.iter().find(|p| base.starts_with(*p)) {
                Some(p) => format!("a{}-{base}", p.to_lowercase()),
                None => format!("al-{base}"),
            }
        }
    }
}

/// Gebremedhin -> G/Medhin, Woldemariam -> W/Mariam, Tekle Haimanot -> T/Haimanot;
/// `None` when the name has no such prefix.
fn abbreviate_latin(s: &str) -> Option<String> {
    for (prefix, abbr) in [
        ("Gebre", "G/"),
        ("Ghebre", "G/"),
        ("Wolde", "W/"),
        ("Welde", "W/"),
        ("Tekle", "T/"),
        ("Habte", "H/"),
        ("Tesfa", "T/"),
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            let rest = rest.trim_start_matches([' ', '-']);
            if rest.chars().count() >= 3 {
                let mut cs = rest.chars();
                let first: String = cs.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
                return Some(format!("{abbr}{first}{}", cs.as_str()));
            }
        }
    }
    None
}

/// ገብረመድህን -> ገ/መድህን, the same habit in Ge'ez script.
fn abbreviate_geez(s: &str) -> Option<String> {
    for (prefix, abbr) in [
        ("ገብረ", "ገ/"),
        ("ወልደ", "ወ/"),
        ("ተኽለ", "ተ/"),
        ("ሃብተ", "ሃ/"),
        ("ተስፋ", "ተ/"),
    ] {
        if let Some(rest) = s.strip_prefix(prefix)
            && rest.chars().count() >= 2
        {
            return Some(format!("{abbr}{rest}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles() {
        assert_eq!(with_article("Shami", Article::Assimilated), "ash-Shami");
        assert_eq!(with_article("Khatib", Article::Assimilated), "al-Khatib");
        assert_eq!(with_article("Hassan", Article::Joined), "Alhassan");
        assert_eq!(with_article("Hassan", Article::ElSpace), "El Hassan");
    }

    #[test]
    fn eritrean_abbreviations() {
        assert_eq!(abbreviate_latin("Gebremedhin").as_deref(), Some("G/Medhin"));
        assert_eq!(abbreviate_latin("Wolde Mariam").as_deref(), Some("W/Mariam"));
        assert_eq!(abbreviate_latin("Tekle"), None);
        assert_eq!(abbreviate_geez("ገብረመድህን").as_deref(), Some("ገ/መድህን"));
        assert_eq!(abbreviate_geez("ተኽለ"), None);
    }

    #[test]
    fn ages() {
        assert_eq!(age_at(plan::day(2010, 6, 15), plan::day(2020, 6, 14)), 9);
        assert_eq!(age_at(plan::day(2010, 6, 15), plan::day(2020, 6, 15)), 10);
    }
}
