#!/usr/bin/env python3
"""Regenerates src/clean/gb2260.tsv, the national administrative-division
table (GB/T 2260 codes and names: provinces, prefecture-level cities,
county-level districts) that address splitting embeds.

Source: the `adcodes.csv` shipped inside the PyPI package `cpca` (MIT), which
is built from the National Bureau of Statistics' division codes. Run:

    python3 src/clean/gen_gb2260.py            # downloads cpca==0.5.5 with pip
    python3 src/clean/gen_gb2260.py adcodes.csv  # or from a copy of the file

Placeholders that are not places (市辖区, 县, 省直辖县级行政区划 …) are left
out; the Rust side derives the level and parent of each entry from its code.
Historical districts that the source still lists (e.g. 下城区) are kept on
purpose: old exports still write them.
"""
import csv
import io
import os
import subprocess
import sys
import tempfile
import zipfile

VERSION = "0.5.5"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gb2260.tsv")


def adcodes_text(argv):
    if len(argv) > 1:
        with open(argv[1], encoding="utf-8") as f:
            return f.read()
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"cpca=={VERSION}", "--no-deps", "-q", "-d", d], check=True
        )
        wheel = next(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".whl"))
        with zipfile.ZipFile(wheel) as z:
            return z.read("cpca/resources/adcodes.csv").decode("utf-8")


def is_placeholder(name):
    return name in ("市辖区", "县") or name.endswith("直辖县级行政区划")


def main(argv):
    rows = {}
    for r in csv.DictReader(io.StringIO(adcodes_text(argv))):
        code, name = r["adcode"], r["name"].strip()
        if len(code) != 12 or code[6:] != "000000" or is_placeholder(name):
            continue
        rows[code[:6]] = name
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"# GB/T 2260 divisions from cpca {VERSION} adcodes.csv; regenerate with src/clean/gen_gb2260.py\n")
        for code in sorted(rows):
            f.write(f"{code}\t{rows[code]}\n")
    print(f"{len(rows)} divisions written to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
