#!/usr/bin/env python3
"""What crmwb stored for every source row, as `source,source_key,field,value`
(the format evaluate.py's --fields reads). Run after the import and before any
merge, when every row is its own customer.

    python crmwb_fields.py --crmwb PATH --db DB --out fields.csv

Customer fields come from `crmwb export customers` joined to `crmwb links
--csv`; interaction_at (a ticket's or a sign-up's date) is not a customer
column, so it is read from the database: interactions.source_record_id.
"""
import argparse
import csv
import os
import sqlite3
import subprocess
import tempfile

FIELDS = ["name", "kind", "contact_name", "mobile", "landline", "email", "province", "city", "district",
          "address", "first_contact", "last_followup", "owner", "priority", "status", "industry_code",
          "source_channel"]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--crmwb", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        exp, links = os.path.join(d, "c.csv"), os.path.join(d, "l.csv")
        subprocess.run([a.crmwb, "--db", a.db, "export", "customers", "--out", exp], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([a.crmwb, "--db", a.db, "links", "--csv", "--out", links], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(exp, newline="", encoding="utf-8-sig") as f:
            customers = {r["number"]: r for r in csv.DictReader(f)}
        with open(links, newline="", encoding="utf-8-sig") as f:
            link_rows = list(csv.DictReader(f))
    con = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    inter = {}
    for src, key, at in con.execute(
            "SELECT s.source, s.source_key, i.at FROM interactions i JOIN source_records s ON s.id = i.source_record_id"):
        inter.setdefault((src, key), at)
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "source_key", "field", "value"])
        for l in link_rows:
            c = customers.get(l["customer_number"], {})
            for fld in FIELDS:
                v = c.get(fld, "")
                if v:
                    w.writerow([l["source"], l["source_key"], fld, v])
            at = inter.get((l["source"], l["source_key"]))
            if at:
                w.writerow([l["source"], l["source_key"], "interaction_at", at])


if __name__ == "__main__":
    main()
