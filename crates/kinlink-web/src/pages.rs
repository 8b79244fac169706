//! The pages. Each is a function from what the server may show (records as
//! the policy's views, in JSON) to HTML. Names are shown as written, in
//! their own script (in `<bdi>`, so that a right-to-left name in a
//! left-to-right page and the reverse keep their order), with their Latin
//! rendering beside: the one recorded, or a transliteration marked as such.

use maud::{DOCTYPE, Markup, html};
use serde_json::{Map, Value};

use crate::form::{
    self, ACCOMPANIMENTS, CALENDARS, CONSENT_GIVERS, CaseForm, Choice, IdentityFields, MATCH_FIELDS,
    MATCH_STATUSES, Problem, RELATIONS, SEXES, TRACING_STATUSES, TracingForm,
};
use crate::i18n::{LANGUAGES, Tr};

/// What every page needs: the language, who is signed in, the session's
/// CSRF token (for forms) and the page's own path (to come back to after
/// changing the language).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub tr: Tr,
    pub user: Option<String>,
    pub csrf: Option<String>,
    pub path: String,
}

impl Ctx {
    fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }
}

fn csrf_field(ctx: &Ctx) -> Markup {
    html! {
        @if let Some(token) = &ctx.csrf {
            input type="hidden" name="csrf_token" value=(token);
        }
    }
}

/// The frame of every page.
pub fn layout(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let lang = ctx.tr.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · kinlink" }
                link rel="stylesheet" href={ "/static/kinlink.css?v=" (crate::ASSET_VERSION) };
                script src={ "/static/kinlink.js?v=" (crate::ASSET_VERSION) } defer {}
            }
            body {
                a.skip href="#main" { (ctx.t("skip-to-content")) }
                header.top {
                    a.brand href="/" { "kinlink" }
                    @if ctx.user.is_some() {
                        nav aria-label=(ctx.t("nav-label")) {
                            ul {
                                li { a href="/" { (ctx.t("nav-home")) } }
                                li { a href="/search" { (ctx.t("nav-search")) } }
                                li { a href="/cases/new" { (ctx.t("nav-new-case")) } }
                                li { a href="/tracing-requests/new" { (ctx.t("nav-new-tracing")) } }
                            }
                        }
                    }
                    form.langform method="get" action="/language" {
                        label for="lang-select" style="margin:0" { (ctx.t("nav-language")) }
                        select id="lang-select" name="lang" {
                            @for l in &LANGUAGES {
                                option value=(l.code) lang=(l.code) selected[l.code == lang.code] { (l.autonym) }
                            }
                        }
                        input type="hidden" name="back" value=(ctx.path);
                        button type="submit" { (ctx.t("lang-apply")) }
                    }
                    @if let Some(user) = &ctx.user {
                        form method="post" action="/sign-out" {
                            (csrf_field(ctx))
                            span { (user) " · " }
                            button.link type="submit" { (ctx.t("nav-sign-out")) }
                        }
                    }
                }
                main id="main" { h1 { (title) } (body) }
            }
        }
    }
}

/// The language picker on a page of its own (reached without JavaScript too).
pub fn language_page(ctx: &Ctx) -> Markup {
    let body = html! {
        form method="get" action="/language" {
            fieldset {
                legend { (ctx.t("lang-choose")) }
                @for l in &LANGUAGES {
                    label {
                        input type="radio" name="lang" value=(l.code) style="inline-size:auto" checked[l.code == ctx.tr.lang.code];
                        " " span lang=(l.code) { (l.autonym) }
                    }
                }
            }
            input type="hidden" name="back" value="/";
            button type="submit" { (ctx.t("lang-apply")) }
        }
    };
    layout(ctx, &ctx.t("lang-choose"), body)
}

/// Sign-in: the password, then the second factor's code.
pub fn sign_in(ctx: &Ctx, username: &str, error: Option<Alert>) -> Markup {
    let body = html! {
        @if let Some(alert) = error { p.errors role="alert" { (ctx.t(alert.key())) } }
        form method="post" action="/sign-in" {
            fieldset {
                legend { (ctx.t("signin-step-password")) }
                label for="username" { (ctx.t("signin-username")) }
                input id="username" name="username" type="text" autocomplete="username" required value=(username);
                label for="password" { (ctx.t("signin-password")) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            fieldset {
                legend { (ctx.t("signin-step-code")) }
                label for="totp_code" { (ctx.t("signin-code")) span.hint { (ctx.t("signin-code-hint")) } }
                input id="totp_code" name="totp_code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9]{6}" maxlength="6";
            }
            button type="submit" { (ctx.t("signin-submit")) }
        }
    };
    layout(ctx, &ctx.t("signin-title"), body)
}

/// A page that only says something: a refusal, an error, a missing page.
/// Never any detail about a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Forbidden,
    NotFound,
    Error,
    Unavailable,
    Conflict,
    TotpEnrolment,
}

impl Notice {
    pub const ALL: [Notice; 6] = [
        Notice::Forbidden,
        Notice::NotFound,
        Notice::Error,
        Notice::Unavailable,
        Notice::Conflict,
        Notice::TotpEnrolment,
    ];

    /// The title's and the text's message keys.
    pub fn keys(self) -> (&'static str, &'static str) {
        match self {
            Notice::Forbidden => ("forbidden-title", "forbidden-body"),
            Notice::NotFound => ("notfound-title", "notfound-body"),
            Notice::Error => ("error-title", "error-body"),
            Notice::Unavailable => ("unavailable-title", "unavailable-body"),
            Notice::Conflict => ("conflict-title", "conflict-body"),
            Notice::TotpEnrolment => ("totp-title", "totp-body"),
        }
    }
}

/// A notice page.
pub fn notice(ctx: &Ctx, notice: Notice) -> Markup {
    let (title, text) = notice.keys();
    let body = html! {
        p.notice role="alert" { (ctx.t(text)) }
        p { a href="/" { (ctx.t("nav-home")) } }
    };
    layout(ctx, &ctx.t(title), body)
}

/// A problem shown above a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alert {
    SignInFailed,
    SignInLocked,
    CodeRequired,
    CodeReused,
    ReasonRequired,
    Stale,
}

impl Alert {
    pub const ALL: [Alert; 6] = [
        Alert::SignInFailed,
        Alert::SignInLocked,
        Alert::CodeRequired,
        Alert::CodeReused,
        Alert::ReasonRequired,
        Alert::Stale,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Alert::SignInFailed => "signin-failed",
            Alert::SignInLocked => "signin-locked",
            Alert::CodeRequired => "signin-code-required",
            Alert::CodeReused => "signin-code-reused",
            Alert::ReasonRequired => "match-reason-required",
            Alert::Stale => "match-stale",
        }
    }
}

/// One record in a list.
#[derive(Clone, Debug)]
pub struct Summary {
    pub href: String,
    pub number: String,
    /// The record's `PersonName` (the child's, or the inquirer's), if the view has it.
    pub names: Option<Value>,
    pub status: Option<String>,
}

fn summaries(ctx: &Ctx, items: &[Summary], empty_key: &str) -> Markup {
    html! {
        @if items.is_empty() {
            p { (ctx.t(empty_key)) }
        } @else {
            ul.plain {
                @for item in items {
                    li {
                        a href=(item.href) { (item.number) }
                        " "
                        @if let Some(names) = &item.names { (person_name(ctx, names)) }
                        @else { span.withheld { (ctx.t("withheld-name")) } }
                        @if let Some(status) = &item.status {
                            " · " (choice_text(ctx, TRACING_STATUSES, status))
                        }
                    }
                }
            }
        }
    }
}

/// Home: my recent records, and my tasks.
pub fn home(ctx: &Ctx, cases: &[Summary], requests: &[Summary]) -> Markup {
    let body = html! {
        h2 { (ctx.t("home-tasks")) }
        p.notice { (ctx.t("home-tasks-placeholder")) }
        h2 { (ctx.t("home-recent-cases")) }
        (summaries(ctx, cases, "home-recent-empty"))
        h2 { (ctx.t("home-recent-requests")) }
        (summaries(ctx, requests, "home-recent-empty"))
        p {
            a.button href="/cases/new" { (ctx.t("nav-new-case")) }
            " "
            a.button href="/tracing-requests/new" { (ctx.t("nav-new-tracing")) }
        }
    };
    layout(ctx, &ctx.t("home-title"), body)
}

/// Search by name (any script) or number.
pub fn search(ctx: &Ctx, query: &str, results: Option<&[Summary]>) -> Markup {
    let body = html! {
        form method="get" action="/search" role="search" {
            label for="q" { (ctx.t("search-label")) span.hint { (ctx.t("search-hint")) } }
            input id="q" name="q" type="search" value=(query) required;
            button type="submit" { (ctx.t("search-submit")) }
        }
        @if let Some(results) = results {
            h2 { (ctx.t("search-results")) }
            (summaries(ctx, results, "search-none"))
        }
    };
    layout(ctx, &ctx.t("search-title"), body)
}

fn select(ctx: &Ctx, name: &str, label_key: &str, options: &[Choice], current: &str) -> Markup {
    html! {
        label for=(name) { (ctx.t(label_key)) }
        select id=(name) name=(name) {
            @for o in options {
                option value=(o.value) selected[o.value == current] { (ctx.t(o.key)) }
            }
        }
    }
}

fn field(
    ctx: &Ctx,
    name: &str,
    label_key: &str,
    hint_key: Option<&str>,
    value: &str,
    attrs: FieldKind,
) -> Markup {
    html! {
        label for=(name) {
            (ctx.t(label_key))
            @if let Some(hint) = hint_key { span.hint { (ctx.t(hint)) } }
        }
        @match attrs {
            FieldKind::Text => input id=(name) name=(name) type="text" value=(value);
            FieldKind::Required => input id=(name) name=(name) type="text" value=(value) required;
            FieldKind::Number => input id=(name) name=(name) type="text" inputmode="numeric" value=(value);
            FieldKind::Latin => input id=(name) name=(name) type="text" lang="en" dir="ltr" value=(value);
            FieldKind::Code => input id=(name) name=(name) type="text" maxlength="3" dir="ltr" value=(value);
        }
    }
}

#[derive(Clone, Copy)]
enum FieldKind {
    Text,
    Required,
    Number,
    Latin,
    Code,
}

fn problems(ctx: &Ctx, problems: &[Problem], validation: &[String]) -> Markup {
    html! {
        @if !problems.is_empty() || !validation.is_empty() {
            div.errors role="alert" {
                p { (ctx.t("form-errors")) }
                ul {
                    @for p in problems {
                        li { a href={ "#" (p.field) } { (ctx.t(p.key)) } }
                    }
                    @for v in validation { li { (v) } }
                }
            }
        }
    }
}

fn identity_fields(ctx: &Ctx, f: &IdentityFields) -> Markup {
    html! {
        fieldset {
            legend { (ctx.t("field-name")) }
            div.row {
                div { (field(ctx, "given_original", "field-given-name", Some("field-original-hint"), &f.given_original, FieldKind::Required)) }
                div { (field(ctx, "given_latin", "field-given-latin", Some("field-latin-hint"), &f.given_latin, FieldKind::Latin)) }
            }
            div.row {
                div { (field(ctx, "family_original", "field-family-name", None, &f.family_original, FieldKind::Text)) }
                div { (field(ctx, "family_latin", "field-family-latin", None, &f.family_latin, FieldKind::Latin)) }
            }
            (select(ctx, "sex", "field-sex", SEXES, &f.sex))
        }
        fieldset {
            legend { (ctx.t("field-birth-date")) }
            p.hint { (ctx.t("field-birth-hint")) }
            (select(ctx, "calendar", "field-calendar", CALENDARS, &f.calendar))
            div.row {
                div { (field(ctx, "birth_year", "field-year", None, &f.birth_year, FieldKind::Number)) }
                div { (field(ctx, "birth_month", "field-month", None, &f.birth_month, FieldKind::Number)) }
                div { (field(ctx, "birth_day", "field-day", None, &f.birth_day, FieldKind::Number)) }
            }
            p { strong { (ctx.t("field-age-estimate")) } }
            div.row {
                div { (field(ctx, "age_min", "field-age-min", None, &f.age_min, FieldKind::Number)) }
                div { (field(ctx, "age_max", "field-age-max", None, &f.age_max, FieldKind::Number)) }
            }
        }
        div.row {
            div { (field(ctx, "nationality", "field-nationality", Some("field-nationality-hint"), &f.nationality, FieldKind::Code)) }
            div { (field(ctx, "language", "field-language", Some("field-language-hint"), &f.language, FieldKind::Code)) }
        }
    }
}

/// Quick registration at first contact.
pub fn new_case(ctx: &Ctx, f: &CaseForm, found: &[Problem], validation: &[String]) -> Markup {
    let body = html! {
        p { (ctx.t("case-new-intro")) }
        (problems(ctx, found, validation))
        form method="post" action="/cases" {
            (csrf_field(ctx))
            (identity_fields(ctx, &f.child))
            fieldset {
                legend { (ctx.t("field-situation")) }
                (select(ctx, "accompaniment", "field-accompaniment", ACCOMPANIMENTS, &f.accompaniment))
                (field(ctx, "found_place", "field-found-place", None, &f.found_place, FieldKind::Text))
                (field(ctx, "found_country", "field-found-country", Some("field-nationality-hint"), &f.found_country, FieldKind::Code))
                (select(ctx, "tracing_consent", "field-tracing-consent", CONSENT_GIVERS, &f.tracing_consent))
            }
            button type="submit" { (ctx.t("case-save")) }
        }
    };
    layout(ctx, &ctx.t("case-new-title"), body)
}

/// A new tracing request.
pub fn new_tracing_request(ctx: &Ctx, f: &TracingForm, found: &[Problem], validation: &[String]) -> Markup {
    let body = html! {
        p { (ctx.t("tracing-new-intro")) }
        (problems(ctx, found, validation))
        form method="post" action="/tracing-requests" {
            (csrf_field(ctx))
            fieldset {
                legend { (ctx.t("tracing-inquirer")) }
                div.row {
                    div { (field(ctx, "inquirer_original", "field-inquirer-name", Some("field-original-hint"), &f.inquirer_original, FieldKind::Required)) }
                    div { (field(ctx, "inquirer_latin", "field-inquirer-latin", Some("field-latin-hint"), &f.inquirer_latin, FieldKind::Latin)) }
                }
                (select(ctx, "relation", "field-relation", RELATIONS, &f.relation))
                (field(ctx, "phone", "field-phone", None, &f.phone, FieldKind::Text))
                (select(ctx, "tracing_consent", "field-tracing-consent", CONSENT_GIVERS, &f.tracing_consent))
            }
            h2 { (ctx.t("tracing-sought-child")) }
            (identity_fields(ctx, &f.child))
            button type="submit" { (ctx.t("tracing-save")) }
        }
    };
    layout(ctx, &ctx.t("tracing-new-title"), body)
}

fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn is_latin(text: &str) -> bool {
    text.chars()
        .all(|c| !c.is_alphabetic() || c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c))
}

/// A `PersonName` (JSON): as written, and in Latin letters.
pub fn person_name(ctx: &Ctx, names: &Value) -> Markup {
    let parts: Vec<&Value> = ["full", "given", "family"]
        .iter()
        .filter_map(|k| names.get(*k))
        .collect();
    let (original, latin): (Vec<&str>, Vec<Option<&str>>) = if let Some(full) = names.get("full") {
        (
            str_of(full, "original").into_iter().collect(),
            vec![str_of(full, "latin")],
        )
    } else {
        parts
            .iter()
            .filter_map(|p| str_of(p, "original").map(|o| (o, str_of(p, "latin"))))
            .unzip()
    };
    let original = original.join(" ");
    let recorded: Vec<&str> = latin.iter().flatten().copied().collect();
    let (latin, automatic) = if !recorded.is_empty() {
        (recorded.join(" "), false)
    } else if !original.is_empty() && !is_latin(&original) {
        (kinlink_match::names::to_latin(&original), true)
    } else {
        (String::new(), false)
    };
    html! {
        span.name {
            bdi { (original) }
            @if !latin.is_empty() && latin != original {
                span.latin lang="en" dir="ltr" {
                    (latin)
                    @if automatic { " " (ctx.t("name-transliterated")) }
                }
            }
        }
    }
}

fn choice_text(ctx: &Ctx, table: &[Choice], value: &str) -> String {
    form::key_of(table, value).map_or_else(|| value.to_owned(), |key| ctx.t(key))
}

/// A date of birth (`CalendarDate` JSON) with its Gregorian equivalent.
pub fn date_text(ctx: &Ctx, date: &Value) -> Markup {
    let value = str_of(date, "value").unwrap_or_default();
    let calendar = str_of(date, "calendar").unwrap_or("gregorian");
    let interval = date.get("gregorian");
    let earliest = interval.and_then(|g| str_of(g, "earliest")).unwrap_or_default();
    let latest = interval.and_then(|g| str_of(g, "latest")).unwrap_or_default();
    html! {
        bdi dir="ltr" { (value) } " (" (choice_text(ctx, CALENDARS, calendar)) ")"
        @if calendar != "gregorian" || earliest != latest {
            @if !earliest.is_empty() {
                br;
                span.latin {
                    (ctx.t("gregorian-equivalent")) " "
                    bdi dir="ltr" { (earliest) @if earliest != latest { " – " (latest) } }
                }
            }
        }
    }
}

fn age_text(ctx: &Ctx, estimate: &Value) -> String {
    let n = |k: &str| {
        estimate
            .get(k)
            .and_then(Value::as_u64)
            .unwrap_or_default()
            .to_string()
    };
    ctx.tr.ta(
        "age-estimate-text",
        &[
            ("min", &n("min_years")),
            ("max", &n("max_years")),
            ("at", str_of(estimate, "at").unwrap_or_default()),
        ],
    )
}

fn codes(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

fn place_text(place: &Value) -> String {
    let locality = place.get("locality").and_then(|l| str_of(l, "original"));
    let country = str_of(place, "country");
    [locality, country]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

/// The identity of a child (`ChildIdentity` JSON), as a definition list.
fn identity_list(ctx: &Ctx, child: &Value) -> Markup {
    html! {
        dl {
            dt { (ctx.t("field-name")) }
            dd { @if let Some(n) = child.get("names") { (person_name(ctx, n)) } }
            @if let Some(sex) = str_of(child, "sex") {
                dt { (ctx.t("field-sex")) } dd { (choice_text(ctx, SEXES, sex)) }
            }
            @if let Some(dob) = child.get("date_of_birth") {
                dt { (ctx.t("field-birth-date")) } dd { (date_text(ctx, dob)) }
            }
            @if let Some(age) = child.get("age_estimate") {
                dt { (ctx.t("field-age-estimate")) } dd { (age_text(ctx, age)) }
            }
            @let nationalities = codes(child.get("nationalities"));
            @if !nationalities.is_empty() {
                dt { (ctx.t("field-nationality")) } dd { (nationalities) }
            }
            @if let Some(origin) = str_of(child, "country_of_origin") {
                dt { (ctx.t("field-country-of-origin")) } dd { (origin) }
            }
            @let languages = codes(child.get("languages"));
            @if !languages.is_empty() {
                dt { (ctx.t("field-language")) } dd { (languages) }
            }
        }
    }
}

fn withheld_note(ctx: &Ctx, withheld: &[String]) -> Markup {
    html! {
        @if !withheld.is_empty() {
            p.withheld { (ctx.tr.ta("withheld-groups", &[("groups", &withheld.join(", "))])) }
        }
    }
}

/// A record's metadata line.
#[derive(Clone, Debug)]
pub struct Meta {
    pub number: String,
    pub version: i64,
}

/// One version in a record's history.
#[derive(Clone, Debug)]
pub struct Revision {
    pub version: i64,
    pub changed_at: String,
    pub changed_by: String,
}

/// A match seen from one of its records.
#[derive(Clone, Debug)]
pub struct MatchLink {
    pub href: String,
    /// The other record's number.
    pub other: String,
    pub score: f64,
    pub label: String,
    pub status: String,
    pub sibling: bool,
}

fn percent(score: f64) -> String {
    format!("{:.1} %", score * 100.0)
}

fn match_list(ctx: &Ctx, matches: &[MatchLink]) -> Markup {
    html! {
        @if matches.is_empty() {
            p { (ctx.t("matches-none")) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { (ctx.t("match-record")) }
                    th scope="col" { (ctx.t("match-probability")) }
                    th scope="col" { (ctx.t("match-status")) }
                    th scope="col" { }
                } }
                tbody { @for m in matches { tr {
                    td { (m.other) @if m.sibling { " · " (ctx.t("match-sibling")) } }
                    td { (percent(m.score)) " (" (m.label) ")" }
                    td { (choice_text(ctx, MATCH_STATUSES, &m.status)) }
                    td { a href=(m.href) { (ctx.t("match-open")) } }
                } } }
            } }
        }
    }
}

/// The case page: identity, family, care, history and matches.
pub fn case(
    ctx: &Ctx,
    meta: &Meta,
    record: &Map<String, Value>,
    withheld: &[String],
    history: &[Revision],
    matches: Option<&[MatchLink]>,
) -> Markup {
    let child = record.get("child").cloned().unwrap_or(Value::Null);
    let body = html! {
        p { (ctx.t("field-number")) " " strong { (meta.number) } " · " (ctx.tr.ta("field-version", &[("version", &meta.version.to_string())])) }
        (withheld_note(ctx, withheld))
        h2 { (ctx.t("section-identity")) }
        (identity_list(ctx, &child))
        dl {
            @if let Some(a) = record.get("accompaniment").and_then(Value::as_str) {
                dt { (ctx.t("field-accompaniment")) } dd { (choice_text(ctx, ACCOMPANIMENTS, a)) }
            }
            @if let Some(s) = record.get("tracing_status").and_then(Value::as_str) {
                dt { (ctx.t("field-tracing-status")) } dd { (choice_text(ctx, TRACING_STATUSES, s)) }
            }
        }
        h2 { (ctx.t("section-family")) }
        @match child.get("family").and_then(Value::as_array) {
            Some(family) if !family.is_empty() => {
                ul.plain { @for m in family { li {
                    (choice_text(ctx, RELATIONS, str_of(m, "relation").unwrap_or("other"))) ": "
                    @if let Some(n) = m.get("names") { (person_name(ctx, n)) }
                } } }
            }
            _ => { p { (ctx.t("family-none")) } }
        }
        h2 { (ctx.t("section-care")) }
        dl {
            dt { (ctx.t("field-current-location")) }
            dd { (record.get("current_location").map(place_text).unwrap_or_default()) }
            dt { (ctx.t("field-care-arrangement")) }
            dd { (record.get("care_arrangement").and_then(|c| str_of(c, "kind")).unwrap_or("—")) }
        }
        @if let Some(matches) = matches {
            h2 { (ctx.t("section-matches")) }
            (match_list(ctx, matches))
        }
        h2 { (ctx.t("section-history")) }
        ul.plain { @for r in history { li {
            (ctx.tr.ta("history-line", &[("version", &r.version.to_string()), ("who", &r.changed_by), ("when", &r.changed_at)]))
        } } }
    };
    layout(ctx, &ctx.t("case-title"), body)
}

/// A tracing request and the cases proposed for it.
pub fn tracing_request(
    ctx: &Ctx,
    meta: &Meta,
    record: &Map<String, Value>,
    withheld: &[String],
    matches: Option<&[MatchLink]>,
) -> Markup {
    let inquirer = record.get("inquirer").cloned().unwrap_or(Value::Null);
    let body = html! {
        p { (ctx.t("field-number")) " " strong { (meta.number) } " · " (ctx.tr.ta("field-version", &[("version", &meta.version.to_string())])) }
        (withheld_note(ctx, withheld))
        h2 { (ctx.t("tracing-inquirer")) }
        dl {
            dt { (ctx.t("field-inquirer-name")) }
            dd { @if let Some(n) = inquirer.get("names") { (person_name(ctx, n)) } }
            @if let Some(r) = str_of(&inquirer, "relation") {
                dt { (ctx.t("field-relation")) } dd { (choice_text(ctx, RELATIONS, r)) }
            }
            @if let Some(s) = record.get("status").and_then(Value::as_str) {
                dt { (ctx.t("field-tracing-status")) } dd { (choice_text(ctx, TRACING_STATUSES, s)) }
            }
        }
        @if let Some(children) = record.get("sought_children").and_then(Value::as_array) {
            @for child in children {
                h2 { (ctx.t("tracing-sought-child")) }
                (identity_list(ctx, child))
            }
        }
        @if let Some(matches) = matches {
            h2 { (ctx.t("section-matches")) }
            (match_list(ctx, matches))
            p { a href=(ctx.path) { (ctx.t("matches-refresh")) } }
        }
    };
    layout(ctx, &ctx.t("tracing-title"), body)
}

/// One compared field of a match: its level and weight (never a value).
#[derive(Clone, Debug)]
pub struct Evidence {
    pub field: String,
    pub level: String,
    pub weight: f64,
}

/// The match review screen.
#[derive(Clone, Debug)]
pub struct MatchPage {
    pub id: String,
    pub version: i64,
    pub status: String,
    pub label: String,
    pub score: f64,
    pub sibling: bool,
    pub request: Meta,
    pub case: Meta,
    /// The sought child as the request describes it (viewed), if readable.
    pub sought: Option<Value>,
    /// The registered child (viewed), if readable.
    pub child: Option<Value>,
    pub evidence: Vec<Evidence>,
    pub reviewed_by: Option<String>,
    pub reason: Option<String>,
}

fn side(ctx: &Ctx, child: Option<&Value>, field: &str) -> Markup {
    let Some(child) = child else {
        return html! { span.withheld { (ctx.t("withheld-name")) } };
    };
    html! {
        @match field {
            "names" => { @if let Some(n) = child.get("names") { (person_name(ctx, n)) } }
            "sex" => { (choice_text(ctx, SEXES, str_of(child, "sex").unwrap_or("unknown"))) }
            "birth" => {
                @if let Some(d) = child.get("date_of_birth") { (date_text(ctx, d)) }
                @if let Some(a) = child.get("age_estimate") { (age_text(ctx, a)) }
            }
            "nationality" => { (codes(child.get("nationalities"))) }
            "origin" => { (str_of(child, "country_of_origin").unwrap_or_default()) }
            "languages" => { (codes(child.get("languages"))) }
            _ => {}
        }
    }
}

/// The two records side by side, field by field, the engine's explanation
/// and probability, and the decision with a reason.
pub fn match_review(ctx: &Ctx, m: &MatchPage, error: Option<Alert>) -> Markup {
    let rows = [
        ("names", "field-name"),
        ("sex", "field-sex"),
        ("birth", "field-birth-date"),
        ("nationality", "field-nationality"),
        ("origin", "field-country-of-origin"),
        ("languages", "field-language"),
    ];
    let body = html! {
        p {
            (ctx.t("match-probability")) ": " strong { (percent(m.score)) } " (" (m.label) ")"
            " · " (ctx.t("match-status")) ": " strong { (choice_text(ctx, MATCH_STATUSES, &m.status)) }
            @if m.sibling { " · " (ctx.t("match-sibling")) }
        }
        h2 { (ctx.t("match-side-by-side")) }
        div.scroll { table {
            thead { tr {
                th scope="col" { (ctx.t("match-field")) }
                th scope="col" { (ctx.t("match-sought")) " " a href={ "/tracing-requests/" (m.request.number) } { (m.request.number) } }
                th scope="col" { (ctx.t("match-registered")) " " a href={ "/cases/" (m.case.number) } { (m.case.number) } }
            } }
            tbody { @for (field, key) in rows { tr {
                th scope="row" { (ctx.t(key)) }
                td { (side(ctx, m.sought.as_ref(), field)) }
                td { (side(ctx, m.child.as_ref(), field)) }
            } } }
        } }
        h2 { (ctx.t("match-explanation")) }
        p.hint { (ctx.t("match-explanation-hint")) }
        div.scroll { table {
            thead { tr {
                th scope="col" { (ctx.t("match-field")) }
                th scope="col" { (ctx.t("match-level")) }
                th scope="col" { (ctx.t("match-weight")) }
            } }
            tbody { @for e in &m.evidence { tr {
                td { (choice_text(ctx, MATCH_FIELDS, &e.field)) }
                td { code { (e.level) } }
                td class=(if e.weight >= 0.0 { "weight-pos" } else { "weight-neg" }) { bdi dir="ltr" { (format!("{:+.2}", e.weight)) } }
            } } }
        } }
        @if let Some(by) = &m.reviewed_by {
            p.notice { (ctx.tr.ta("match-reviewed-by", &[("who", by)])) @if let Some(r) = &m.reason { ": " (r) } }
        }
        h2 { (ctx.t("match-decision")) }
        @if let Some(alert) = error { p.errors role="alert" { (ctx.t(alert.key())) } }
        form method="post" action={ "/matches/" (m.id) "/review" } {
            (csrf_field(ctx))
            input type="hidden" name="version" value=(m.version);
            label for="reason" { (ctx.t("match-reason")) span.hint { (ctx.t("match-reason-hint")) } }
            textarea id="reason" name="reason" rows="3" required {}
            button type="submit" name="status" value="confirmed" { (ctx.t("match-confirm")) }
            " "
            button.danger type="submit" name="status" value="rejected" { (ctx.t("match-reject")) }
        }
    };
    layout(ctx, &ctx.t("match-title"), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::language;
    use serde_json::json;

    fn ctx(code: &str) -> Ctx {
        Ctx {
            tr: Tr::new(language(code).expect("language")),
            user: Some("tester".into()),
            csrf: Some("token123".into()),
            path: "/".into(),
        }
    }

    #[test]
    fn arabic_pages_are_right_to_left_and_names_keep_their_script() {
        let names =
            json!({"given": {"original": "أحمد"}, "family": {"original": "رحيمي", "latin": "Rahimi"}});
        let page = home(
            &ctx("ar"),
            &[Summary {
                href: "/cases/KL-2026-000001".into(),
                number: "KL-2026-000001".into(),
                names: Some(names),
                status: None,
            }],
            &[],
        )
        .into_string();
        assert!(page.contains(r#"<html lang="ar" dir="rtl">"#), "{page}");
        assert!(page.contains("<bdi>أحمد رحيمي</bdi>"), "{page}");
        assert!(page.contains("Rahimi"));
        let page = home(&ctx("fr"), &[], &[]).into_string();
        assert!(page.contains(r#"<html lang="fr" dir="ltr">"#));
    }

    #[test]
    fn a_name_without_latin_is_transliterated_and_marked() {
        let names = json!({"given": {"original": "أحمد"}});
        let html = person_name(&ctx("en"), &names).into_string();
        assert!(html.contains("<bdi>أحمد</bdi>"));
        assert!(html.contains(&ctx("en").t("name-transliterated")), "{html}");
    }

    #[test]
    fn dates_show_their_gregorian_equivalent() {
        let date = json!({"value": "1392-05", "calendar": "solar_hijri",
            "gregorian": {"earliest": "2013-07-23", "latest": "2013-08-22"}});
        let html = date_text(&ctx("en"), &date).into_string();
        assert!(
            html.contains("1392-05") && html.contains("2013-07-23") && html.contains("2013-08-22"),
            "{html}"
        );
    }

    #[test]
    fn every_input_has_a_label() {
        let c = ctx("es");
        for page in [
            new_case(&c, &CaseForm::default(), &[], &[]).into_string(),
            new_tracing_request(&c, &TracingForm::default(), &[], &[]).into_string(),
            sign_in(&c, "", None).into_string(),
            search(&c, "", None).into_string(),
        ] {
            for (at, _) in page.match_indices("<input id=\"") {
                let id = &page[at + 11..];
                let id = &id[..id.find('"').expect("closing quote")];
                assert!(
                    page.contains(&format!("<label for=\"{id}\"")),
                    "no label for {id}"
                );
            }
            for (at, _) in page.match_indices("<select id=\"") {
                let id = &page[at + 12..];
                let id = &id[..id.find('"').expect("closing quote")];
                assert!(
                    page.contains(&format!("<label for=\"{id}\"")),
                    "no label for {id}"
                );
            }
        }
    }

    #[test]
    fn values_are_escaped() {
        let names = json!({"full": {"original": "<script>x</script>"}});
        let html = person_name(&ctx("en"), &names).into_string();
        assert!(!html.contains("<script>"));
    }
}
