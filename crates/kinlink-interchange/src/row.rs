use serde::{Deserialize, Serialize};

/// The header of the interchange format, in order.
pub const COLUMNS: [&str; 26] = [
    "id",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "birth_date",
    "birth_calendar",
    "age_estimate",
    "record_date",
    "country_of_origin",
    "place_of_origin",
    "separation_date",
    "separation_place",
    "mother_name",
    "father_name",
    "languages",
    "document_type",
    "document_number",
    "document_country",
    "address_street",
    "address_number",
    "address_details",
    "postcode",
    "address_locality",
    "address_region",
    "address_country",
];

/// One row exactly as it stands in the file: every cell is text, empty = missing.
///
/// Parsing into the domain (dates in their calendar, codes, ranges) happens in
/// [`crate::convert`], where every failing cell is reported with its column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterchangeRow {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    /// Further names, `;`-separated.
    pub other_names: String,
    /// `F`, `M` or empty.
    pub sex: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` in `birth_calendar`.
    pub birth_date: String,
    /// `gregorian` (default when empty), `solar_hijri`, `ethiopian` or `islamic`.
    pub birth_calendar: String,
    /// Age in years at `record_date`: `12`, `12.5` or a range `12-14`.
    pub age_estimate: String,
    /// `YYYY-MM-DD`, Gregorian: when the child was registered or sought.
    pub record_date: String,
    /// ISO 3166-1 alpha-2.
    pub country_of_origin: String,
    pub place_of_origin: String,
    /// Partial Gregorian date.
    pub separation_date: String,
    pub separation_place: String,
    pub mother_name: String,
    pub father_name: String,
    /// ISO 639-1 codes, `;`-separated.
    pub languages: String,
    /// Identity documents are three parallel `;`-separated lists, one entry
    /// per document: the kind (`birth_certificate`, `national_id`,
    /// `passport`, `unhcr_individual`, `other`; empty = all `other`)...
    pub document_type: String,
    /// ... the number as written ...
    pub document_number: String,
    /// ... and the issuing country, ISO 3166-1 alpha-2 (an entry may be
    /// empty; an empty cell = no country for any).
    pub document_country: String,
    /// Last known address: street name.
    pub address_street: String,
    /// House number.
    pub address_number: String,
    /// Building, flat, block, camp section.
    pub address_details: String,
    pub postcode: String,
    /// Town or city of the address.
    pub address_locality: String,
    /// State, province or region of the address.
    pub address_region: String,
    /// ISO 3166-1 alpha-2.
    pub address_country: String,
}

impl InterchangeRow {
    /// Build a row from cells in [`COLUMNS`] order.
    pub fn from_cells(cells: [String; COLUMNS.len()]) -> Self {
        let [
            id,
            given_name,
            family_name,
            other_names,
            sex,
            birth_date,
            birth_calendar,
            age_estimate,
            record_date,
            country_of_origin,
            place_of_origin,
            separation_date,
            separation_place,
            mother_name,
            father_name,
            languages,
            document_type,
            document_number,
            document_country,
            address_street,
            address_number,
            address_details,
            postcode,
            address_locality,
            address_region,
            address_country,
        ] = cells;
        Self {
            id,
            given_name,
            family_name,
            other_names,
            sex,
            birth_date,
            birth_calendar,
            age_estimate,
            record_date,
            country_of_origin,
            place_of_origin,
            separation_date,
            separation_place,
            mother_name,
            father_name,
            languages,
            document_type,
            document_number,
            document_country,
            address_street,
            address_number,
            address_details,
            postcode,
            address_locality,
            address_region,
            address_country,
        }
    }

    /// The cells in [`COLUMNS`] order.
    pub fn cells(&self) -> [&str; COLUMNS.len()] {
        [
            &self.id,
            &self.given_name,
            &self.family_name,
            &self.other_names,
            &self.sex,
            &self.birth_date,
            &self.birth_calendar,
            &self.age_estimate,
            &self.record_date,
            &self.country_of_origin,
            &self.place_of_origin,
            &self.separation_date,
            &self.separation_place,
            &self.mother_name,
            &self.father_name,
            &self.languages,
            &self.document_type,
            &self.document_number,
            &self.document_country,
            &self.address_street,
            &self.address_number,
            &self.address_details,
            &self.postcode,
            &self.address_locality,
            &self.address_region,
            &self.address_country,
        ]
    }
}
