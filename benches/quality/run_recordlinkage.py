#!/usr/bin/env python3
"""recordlinkage's ECM classifier on one development set.

Comparisons as in recordlinkage's data-deduplication guide (FEBRL): exact
given_name, Jaro-Winkler surname >= 0.85, exact date_of_birth, suburb and
state, string address_1 >= 0.85; ECMClassifier on those binary features.
Caveat: the guide indexes on given_name alone; here the index is the union of
single-field blocks on given_name (documented), surname, date_of_birth and
postcode (Splink's FEBRL3 rules without soc_sec_id), so blocking recall is
not the bottleneck. zh: the same recipe on devsets.py's common columns.
fake, hist (Splink's example data): the index is the union of blocks after
Splink's example for the set (fake: its rules first_name+city, surname, dob;
hist: its rules without SQL functions — surname+dob, first_name+dob,
postcode_fake+first_name, postcode_fake+surname, dob+birth_place — and
first_name+surname standing in for its prefixes of both names); the
comparisons follow the same recipe on their columns:
exact first_name, Jaro-Winkler surname >= 0.85, exact dob, exact city or
birth_place, and exact email (fake) or postcode_fake (hist).
Clusters: connected components of the pairs ECM classifies as matches.

    python run_recordlinkage.py --devdata DIR --set febrl1 --out DIR
"""
import argparse
import time

import pandas as pd

import devsets


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--devdata", required=True)
    ap.add_argument("--set", required=True, choices=list(devsets.SETS))
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    import recordlinkage as rl

    frames = [f.set_index("uid") for f in devsets.load(a.devdata, a.set)]
    t0 = time.monotonic()
    if a.set == "zh":
        keys = ["name", "mobile", "landline", "email", "contact_name"]
    elif a.set == "fake":
        keys = [["first_name", "city"], "surname", "dob"]
    elif a.set == "hist":
        keys = [["first_name", "surname"], ["surname", "dob"], ["first_name", "dob"], ["postcode_fake", "first_name"],
                ["postcode_fake", "surname"], ["dob", "birth_place"]]
    else:
        keys = ["given_name", "surname", "date_of_birth", "postcode"]
    idx = rl.Index()
    for k in keys:
        idx.block(k)
    cand = idx.index(*frames)
    c = rl.Compare()
    if a.set == "zh":
        c.string("name", "name", method="jarowinkler", threshold=0.85, label="name")
        c.exact("contact_name", "contact_name", label="contact_name")
        c.exact("mobile", "mobile", label="mobile")
        c.exact("landline", "landline", label="landline")
        c.exact("email", "email", label="email")
        c.exact("city", "city", label="city")
        c.string("address", "address", threshold=0.85, label="address")
    elif a.set in ("fake", "hist"):
        c.exact("first_name", "first_name", label="first_name")
        c.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
        c.exact("dob", "dob", label="dob")
        if a.set == "fake":
            c.exact("city", "city", label="city")
            c.exact("email", "email", label="email")
        else:
            c.exact("birth_place", "birth_place", label="birth_place")
            c.exact("postcode_fake", "postcode_fake", label="postcode_fake")
    else:
        c.exact("given_name", "given_name", label="given_name")
        c.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
        c.exact("date_of_birth", "date_of_birth", label="date_of_birth")
        c.exact("suburb", "suburb", label="suburb")
        c.exact("state", "state", label="state")
        c.string("address_1", "address_1", threshold=0.85, label="address_1")
    feats = c.compute(cand, *frames)
    matches = rl.ECMClassifier().fit_predict(feats)
    uids = [u for f in frames for u in f.index]
    clusters = devsets.components(uids, list(matches))
    seconds = time.monotonic() - t0
    devsets.write_outputs(a.out, list(cand), clusters, seconds)


if __name__ == "__main__":
    main()
