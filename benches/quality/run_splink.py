#!/usr/bin/env python3
"""Splink 5 (DuckDB) on one development set, with the settings of Splink's own
documentation (docs/demos/examples/duckdb/febrl3 and febrl4):

  febrl1, febrl2 (dedupe)  the FEBRL3 example: block on soc_sec_id, given_name,
                           surname, date_of_birth, postcode; NameComparison on
                           both names, DateOfBirthComparison, Damerau-
                           Levenshtein soc_sec_id [2], exact street_number and
                           postcode with term frequencies; prior from
                           deterministic rules at recall 0.9; u from 1e6
                           random pairs (seed 2); EM blocked on
                           date_of_birth, then postcode.
  febrl4 (link_only)       the FEBRL4 example's detailed model: blocking rules
                           given_name+surname, swapped names, date_of_birth,
                           soc_sec_id, state+address_1, street_number+
                           address_1, postcode; NameComparison (tf),
                           DateOfBirthComparison, DL soc_sec_id [1,2], exact
                           street_number (tf), DL postcode [1,2] (tf); prior
                           at recall 0.8; EM on date_of_birth and postcode
                           without term frequencies.
  zh                       no documented example exists: the same recipe on
                           the common columns of devsets.py (see below).

Both documented FEBRL examples use soc_sec_id. crmwb is imported without it
(the issue's --map list), so by default it is removed here too (its blocking
rule, comparison and deterministic rule); --ssn keeps it, exactly as
documented. Clusters: connected components of pairs at or above
--threshold (default 0.99, the FEBRL4 example's clustering threshold).

    python run_splink.py --devdata DIR --set febrl1 --out DIR [--ssn] [--threshold P]
"""
import argparse
import logging
import time

import devsets


def settings_for(name, ssn):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if name in ("febrl1", "febrl2"):
        blocking = ([block_on("soc_sec_id")] if ssn else []) + [
            block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("postcode")]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        ] + ([cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2])] if ssn else []) + [
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        deterministic = ([block_on("soc_sec_id")] if ssn else []) + [
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
        ]
        recall, em = 0.9, [block_on("date_of_birth"), block_on("postcode")]
        em_kwargs = {}
        link_type = "dedupe_only"
    elif name == "febrl4":
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
        ] + ([block_on("soc_sec_id")] if ssn else []) + [
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                     invalid_dates_as_null=True),
        ] + ([cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2])] if ssn else []) + [
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ]
        deterministic = ([block_on("soc_sec_id")] if ssn else []) + [block_on("given_name", "surname", "date_of_birth")]
        recall, em = 0.8, [block_on("date_of_birth"), block_on("postcode")]
        em_kwargs = {"estimate_without_term_frequencies": True}
        link_type = "link_only"
    else:  # zh: the documented recipe on the common columns
        blocking = [block_on("name"), block_on("mobile"), block_on("landline"), block_on("email"),
                    block_on("contact_name", "city")]
        comparisons = [
            cl.JaroWinklerAtThresholds("name", [0.9, 0.8]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("contact_name").configure(term_frequency_adjustments=True),
            cl.ExactMatch("mobile"),
            cl.ExactMatch("landline").configure(term_frequency_adjustments=True),
            cl.ExactMatch("email"),
            cl.ExactMatch("city"),
            cl.JaroWinklerAtThresholds("address", [0.9]),
        ]
        deterministic = [block_on("mobile", "name"), block_on("email")]
        recall, em = 0.7, [block_on("mobile"), block_on("name")]
        em_kwargs = {}
        link_type = "dedupe_only"
    s = SettingsCreator(unique_id_column_name="uid", link_type=link_type,
                        blocking_rules_to_generate_predictions=blocking, comparisons=comparisons,
                        retain_intermediate_calculation_columns=False)
    return s, deterministic, recall, em, em_kwargs


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--devdata", required=True)
    ap.add_argument("--set", required=True, choices=list(devsets.SETS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--ssn", action="store_true", help="use soc_sec_id as the documentation does")
    ap.add_argument("--threshold", type=float, default=0.99)
    a = ap.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.WARNING)
    frames = devsets.load(a.devdata, a.set)
    from splink import DuckDBAPI, Linker

    t0 = time.monotonic()
    settings, deterministic, recall, em, em_kwargs = settings_for(a.set, a.ssn)
    db_api = DuckDBAPI()
    sdfs = [db_api.register(f) for f in frames]
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in em:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, **em_kwargs)
        except Exception as e:  # an EM pass that cannot run is reported, not fatal
            print(f"splink: EM pass {rule} failed: {e}")
    pred = linker.inference.predict()
    df = pred.as_pandas_dataframe()
    edges = [(x, y) for x, y, p in zip(df["uid_l"], df["uid_r"], df["match_probability"]) if p >= a.threshold]
    uids = [u for f in frames for u in f["uid"]]
    clusters = devsets.components(uids, edges)
    seconds = time.monotonic() - t0
    devsets.write_outputs(a.out, zip(df["uid_l"], df["uid_r"]), clusters, seconds)


if __name__ == "__main__":
    main()
