#!/usr/bin/env python3
"""Write two of Splink's public example data sets as CSV plus truth files for
the quality benchmark: people nobody here generated, in schemas crmwb was not
developed on.

    python splink_sets.py --out DIR [--from DATA_DIR]

  fake  fake_1000 (Splink's tutorial data): 1,000 records of 251 people,
        first_name, surname, dob, city, email, with typos, gaps, swapped
        names and shifted dates.
  hist  historical_figures_with_errors_50k (Splink's 50k example): 50,578
        records of 5,156 historical people, names, birth dates from 1500 on,
        birth place, a fake postcode, gender, occupation.

Writes fake.csv, fake.truth.csv, hist.csv, hist.truth.csv. The records keep
every column as shipped except `cluster`, Splink's answer, which goes to the
truth file (`source,source_key,entity_id`, source `fake` / `hist`, key
`unique_id`).

The data come from the splink_datasets repository: downloaded through
`splink.datasets` (network), or read from a local copy of its `data/`
directory (`--from`). That repository also holds FEBRL3, the held-out
measurement set: this script never reads it.
"""
import argparse
import csv
import os
import sys

SETS = {
    "fake": ("fake_1000", "fake_1000.csv"),
    "hist": ("historical_50k", "historical_figures_with_errors_50k.parquet"),
}


def frame(name, local):
    import pandas as pd

    attr, fname = SETS[name]
    if local:
        path = os.path.join(local, fname)
        df = pd.read_parquet(path) if fname.endswith(".parquet") else pd.read_csv(path, dtype=str,
                                                                                    keep_default_na=False)
    else:
        from splink import splink_datasets

        df = getattr(splink_datasets, attr)
    # Everything as text, missing cells empty: what a user's CSV export holds.
    return df.astype(object).where(df.notna(), "").astype(str)


def write(name, df, out):
    keys = df["unique_id"].tolist()
    if len(set(keys)) != len(keys):
        sys.exit(f"{name}: unique_id is not unique")
    with open(os.path.join(out, f"{name}.truth.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "source_key", "entity_id"])
        for k, e in zip(keys, df["cluster"]):
            w.writerow([name, k, e])
    df.drop(columns=["cluster"]).to_csv(os.path.join(out, f"{name}.csv"), index=False, encoding="utf-8",
                                        lineterminator="\n")
    return len(df), df["cluster"].nunique()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--from", dest="local", help="a local copy of splink_datasets' data/ directory")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    for name in SETS:
        n, e = write(name, frame(name, a.local), a.out)
        print(f"{name}: {n} records, {e} entities")


if __name__ == "__main__":
    main()
