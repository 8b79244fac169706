"""Splink 5 (DuckDB backend) on the benchmark datasets, writing pair files in kinlink's format.

    python bench/splink_run.py febrl4-full|febrl4-same DATA_DIR OUT.csv
    python bench/splink_run.py febrl3-full|febrl3-same DATA_DIR OUT.csv
    python bench/splink_run.py demo DATA_DIR OUT.csv

Link jobs write `request_id,case_id,score,label` (the 10 best cases per
request, best first), dedupe jobs `id_a,id_b,score,label`, exactly like
`kinlink match link|dedupe`, so that one evaluator reads both engines.

The configuration is what a competent Splink user would write following
Splink's own tutorials: several OR-ed blocking rules; Jaro-Winkler name
levels (NameComparison) with term-frequency adjustment on names; a date
comparison; Levenshtein levels on codes; the prior from deterministic rules
with a guessed recall; u by random sampling; m by EM in two sessions blocked
on different fields. Labels use the same rule as kinlink: `match` when the
probability is at least MATCH_THRESHOLD (kinlink's own, 0.999) and, in a
link job, only for the best candidate of a request; everything else
written is `possible`. Best F1 over thresholds (in the evaluator) removes the
dependence on that threshold.

"-full" uses every FEBRL field (what a FEBRL user would do); "-same" reads the
very interchange CSV files kinlink reads (given name, surname, birth date,
suburb). "demo" reads the demo interchange files and flattens them the way
a competent user would (see `flatten_demo`).

DuckDB gets a memory limit (SPLINK_MEMORY_LIMIT, default 10GB) and spills to
a temporary directory beside OUT, so a large run does not take the whole
shared machine.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import jellyfish
from anyascii import anyascii

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

MATCH_THRESHOLD = 0.999  # kinlink-match's MATCH_THRESHOLD
KEEP_THRESHOLD = 0.001  # pairs below this are not written
TOP_K = 10
SEED = 42


def log(msg: str) -> None:
    print(f"[splink] {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


# --- FEBRL -------------------------------------------------------------------------------------------


def febrl_full_settings(link_type: str) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
            block_on("substr(given_name, 1, 2)", "substr(surname, 1, 2)", "substr(date_of_birth, 1, 4)"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("state"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def febrl_same_settings(link_type: str) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            block_on("family_name", "birth_date"),
            block_on("given_name", "birth_date"),
            block_on("place_of_origin", "substr(family_name, 1, 1)"),
            block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)", "substr(birth_date, 1, 4)"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.JaroWinklerAtThresholds("place_of_origin", [0.9, 0.7]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=False,
    )


def read_str_csv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.replace({"": None})


def train_febrl(linker: Linker, full: bool) -> None:
    name, surname, dob = ("given_name", "surname", "date_of_birth") if full else (
        "given_name",
        "family_name",
        "birth_date",
    )
    deterministic = [block_on(name, surname, dob)]
    if full:
        deterministic.append(block_on("soc_sec_id"))
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on(name, surname))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on(dob))


# --- demo data ----------------------------------------------------------------------------------------


def norm_name(s: str | None) -> str | None:
    """What a competent user does to names in many scripts: transliterate to ASCII
    (anyascii), lower-case, letters and spaces only."""
    if not s:
        return None
    t = re.sub(r"[^a-z ]+", "", anyascii(s).lower().replace("-", " "))
    t = re.sub(r"\s+", " ", t).strip()
    return t or None


def gregorian_year(date: str | None, calendar: str | None) -> int | None:
    """The Gregorian year of a (partial) birth date in another calendar, approximately."""
    if not date:
        return None
    parts = date.split("-")
    try:
        y = int(parts[0])
        m = int(parts[1]) if len(parts) > 1 else None
    except ValueError:
        return None
    cal = calendar or "gregorian"
    if cal == "gregorian":
        return y
    if cal == "solar_hijri":  # year starts about 21 March
        return y + (622 if m is not None and m >= 11 else 621)
    if cal == "ethiopian":  # year starts about 11 September
        return y + (7 if m is not None and m <= 4 else 8)
    if cal == "islamic":
        return round(y * 0.970229 + 621.5643)
    return None


def flatten_demo(path: Path) -> pd.DataFrame:
    """The interchange columns as a competent Splink user would flatten them:
    names transliterated and normalised, with a Metaphone key; a full Gregorian birth date where one
    was given; a Gregorian birth year from the date (other calendars converted
    by year offset) or else from the age estimate at the record date; sex,
    country, place of origin; mother's and father's names."""
    df = read_str_csv(path)
    out = pd.DataFrame({"id": df["id"]})
    for col in ["given_name", "family_name", "mother_name", "father_name", "place_of_origin"]:
        out[col] = df[col].map(norm_name)
    # Phonetic keys (jellyfish's Metaphone) for blocking and a phonetic level.
    for col in ["given_name", "family_name"]:
        out[f"{col}_mp"] = out[col].map(lambda s: jellyfish.metaphone(s) or None if s else None)
        out[f"{col}_mp_arr"] = out[f"{col}_mp"].map(lambda s: [s] if s else None)
    out["other_names"] = df["other_names"].map(lambda s: norm_name(s.replace(";", " ")) if s else None)
    cal = df["birth_calendar"].fillna("gregorian")
    is_full_greg = (cal == "gregorian") & df["birth_date"].fillna("").str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    out["birth_date"] = df["birth_date"].where(is_full_greg, None)

    def year(row) -> int | None:
        y = gregorian_year(row["birth_date"], row["birth_calendar"])
        if y is not None:
            return y
        age, rec = row["age_estimate"], row["record_date"]
        if age and rec:
            try:
                lo, _, hi = age.partition("-")
                a = (float(lo) + float(hi or lo)) / 2
                return int(rec[:4]) - round(a)
            except ValueError:
                return None
        return None

    out["birth_year"] = df.apply(year, axis=1).astype("Int64")
    out["sex"] = df["sex"]
    out["country_of_origin"] = df["country_of_origin"]
    return out


def demo_settings() -> SettingsCreator:
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_date"),
            cll.DamerauLevenshteinLevel("birth_date", 1),
            cll.AbsoluteDifferenceLevel("birth_year", 0),
            cll.AbsoluteDifferenceLevel("birth_year", 1),
            cll.AbsoluteDifferenceLevel("birth_year", 3),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name_mp", "family_name_mp"),
            block_on("family_name_mp", "birth_year"),
            block_on("given_name_mp", "birth_year", "country_of_origin"),
            block_on("substr(given_name, 1, 2)", "substr(family_name, 1, 2)", "birth_year"),
            block_on("mother_name", "country_of_origin"),
            block_on("father_name", "country_of_origin"),
        ],
        comparisons=[
            cl.NameComparison("given_name", dmeta_col_name="given_name_mp_arr").configure(
                term_frequency_adjustments=True
            ),
            cl.NameComparison("family_name", dmeta_col_name="family_name_mp_arr").configure(
                term_frequency_adjustments=True
            ),
            birth,
            cl.ExactMatch("sex"),
            cl.ExactMatch("country_of_origin"),
            cl.JaroWinklerAtThresholds("place_of_origin", [0.9, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.NameComparison("mother_name"),
            cl.NameComparison("father_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def train_demo(linker: Linker) -> None:
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "birth_date")], recall=0.5
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"), max_pairs=5e6
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_year", "country_of_origin"), max_pairs=5e6
    )


# --- output -------------------------------------------------------------------------------------------


def write_link(con: duckdb.DuckDBPyConnection, table: str, uid: str, out: Path) -> None:
    con.execute(
        f"""
        COPY (
          WITH p AS (
            SELECT CASE WHEN source_dataset_l = 'requests' THEN {uid}_l ELSE {uid}_r END AS request_id,
                   CASE WHEN source_dataset_l = 'requests' THEN {uid}_r ELSE {uid}_l END AS case_id,
                   match_probability AS score
            FROM {table}
          ), r AS (
            SELECT *, row_number() OVER (PARTITION BY request_id ORDER BY score DESC, case_id) AS rank
            FROM p
          )
          SELECT request_id, case_id, round(score, 6) AS score,
                 CASE WHEN rank = 1 AND score >= {MATCH_THRESHOLD} THEN 'match' ELSE 'possible' END AS label
          FROM r WHERE rank <= {TOP_K}
          ORDER BY request_id, rank
        ) TO '{out}' (HEADER, DELIMITER ',')
        """
    )


def write_dedupe(con: duckdb.DuckDBPyConnection, table: str, uid: str, out: Path) -> None:
    con.execute(
        f"""
        COPY (
          SELECT {uid}_l AS id_a, {uid}_r AS id_b, round(match_probability, 6) AS score,
                 CASE WHEN match_probability >= {MATCH_THRESHOLD} THEN 'match' ELSE 'possible' END AS label
          FROM {table}
          ORDER BY id_a, score DESC
        ) TO '{out}' (HEADER, DELIMITER ',')
        """
    )


def main() -> None:
    job, data, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    tmp = tempfile.mkdtemp(prefix="splink-duckdb-", dir=out.parent)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{os.environ.get('SPLINK_MEMORY_LIMIT', '10GB')}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    db_api = DuckDBAPI(connection=con)
    start = time.monotonic()
    if job in ("febrl4-full", "febrl4-same"):
        full = job.endswith("full")
        names = ("raw_cases.csv", "raw_requests.csv") if full else ("cases.csv", "requests.csv")
        cases = db_api.register(read_str_csv(data / names[0]), dataset_display_name="cases")
        requests = db_api.register(read_str_csv(data / names[1]), dataset_display_name="requests")
        settings = febrl_full_settings("link_only") if full else febrl_same_settings("link_only")
        linker = Linker([cases, requests], settings, log_level=logging.WARNING)
        train_febrl(linker, full)
        pred = linker.inference.predict(threshold_match_probability=KEEP_THRESHOLD)
        write_link(con, pred.physical_name, "rec_id" if full else "id", out)
    elif job in ("febrl3-full", "febrl3-same"):
        full = job.endswith("full")
        df = read_str_csv(data / ("raw.csv" if full else "records.csv"))
        records = db_api.register(df, dataset_display_name="records")
        settings = febrl_full_settings("dedupe_only") if full else febrl_same_settings("dedupe_only")
        linker = Linker(records, settings, log_level=logging.WARNING)
        train_febrl(linker, full)
        pred = linker.inference.predict(threshold_match_probability=KEEP_THRESHOLD)
        write_dedupe(con, pred.physical_name, "rec_id" if full else "id", out)
    elif job == "demo":
        cases = db_api.register(flatten_demo(data / "cases.csv"), dataset_display_name="cases")
        requests = db_api.register(flatten_demo(data / "requests.csv"), dataset_display_name="requests")
        log(f"flattened in {time.monotonic() - start:.1f}s")
        linker = Linker([cases, requests], demo_settings(), log_level=logging.WARNING)
        train_demo(linker)
        log(f"trained at {time.monotonic() - start:.1f}s")
        pred = linker.inference.predict(threshold_match_probability=KEEP_THRESHOLD)
        log(f"predicted at {time.monotonic() - start:.1f}s")
        write_link(con, pred.physical_name, "id", out)
    else:
        raise SystemExit(f"unknown job {job}")
    log(f"{job}: done in {time.monotonic() - start:.1f}s ({dt.datetime.now():%H:%M})")


if __name__ == "__main__":
    main()
