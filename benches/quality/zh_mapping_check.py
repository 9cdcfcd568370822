#!/usr/bin/env python3
"""Field accuracy of automatic mapping and cleansing on Chinese CRM exports.

Builds three exports in different schemas (template-style Chinese headers,
a second Chinese CRM's spellings, Salesforce-style English headers) from
the `faker` zh_CN provider, with format noise (phones with +86, dashes,
spaces or full-width digits; five date spellings; short and full place
names; full-width digits in addresses; e-mails in capitals). Places are
real divisions drawn from src/clean/gb2260.tsv, written in varied forms, so
the check measures parsing, not the table. Imports each file with
automatic mapping only (no --map), exports, and prints per-field accuracy.
A district counts only where the source wrote it.

    /path/to/venv/bin/python benches/quality/zh_mapping_check.py target/debug/crmwb [SEED]

Needs `faker`. A local check, not the quality benchmark's dev set.
"""
import csv, os, random, subprocess, sys, tempfile
from faker import Faker

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
crmwb = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
random.seed(seed)
Faker.seed(seed)
f = Faker("zh_CN")
name = {}
for line in open(os.path.join(ROOT, "src", "clean", "gb2260.tsv"), encoding="utf-8"):
    if not line.startswith("#") and line.strip():
        c, n = line.rstrip("\n").split("\t")
        name[c] = n
MUNI = {"11", "12", "31", "50"}
dists = [c for c in name if c[4:] != "00" and (c[:2] in MUNI or c[:4] + "00" in name)]


def short(p):
    for s in ["特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"]:
        if p.endswith(s):
            return p[: -len(s)]
    return p


def fw(s):
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and random.random() < 0.5 else c for c in s)


def phone_noise(m):
    return random.choice([m, m[:3] + "-" + m[3:7] + "-" + m[7:], "+86 " + m, m[:3] + " " + m[3:7] + " " + m[7:], fw(m)])


def date_noise(d):
    y, mo, da = d.split("-")
    return random.choice([d, f"{y}/{int(mo)}/{int(da)}", f"{y}年{int(mo)}月{int(da)}日", y + mo + da, f"{y}.{mo}.{da}"])


SCHEMAS = [
    {"name": "客户名称", "contact": "联系人", "mobile": "手机号码", "email": "电子邮箱", "province": "省份", "city": "城市",
     "address": "详细地址", "first": "首次接触时间", "last": "最近跟进时间", "owner": "跟进负责人", "src": "客户来源"},
    {"name": "公司名称", "contact": "联系人姓名", "mobile": "联系电话（手机）", "email": "邮箱", "address": "客户地址",
     "first": "创建日期", "owner": "归属销售", "src": "来源渠道"},
    {"name": "Account Name", "contact": "Contact Name", "mobile": "Mobile Phone", "email": "Email",
     "province": "Billing State", "city": "Billing City", "address": "Billing Street", "first": "Created Date",
     "last": "Last Activity", "owner": "Account Owner", "src": "Lead Source"},
]
tmp = tempfile.mkdtemp()
truth = []
for si, sch in enumerate(SCHEMAS):
    out = []
    for i in range(120):
        c = random.choice(dists)
        p = name[c[:2] + "0000"]
        ci = p if c[:2] in MUNI else name[c[:4] + "00"]
        d = name[c]
        street = f.street_name() + fw(f.building_number()) + "号"
        m = f.phone_number()
        first = f.date_between("-5y", "-1y").isoformat()
        last = f.date_between("-1y", "today").isoformat()
        t = {"name": f.company(), "contact": f.name(), "mobile": m, "email": f.unique.email(), "province": p, "city": ci,
             "district": d, "first": first, "last": last, "owner": f.name(), "src": random.choice(["展会", "官网", "转介绍", "电话营销"])}
        if "province" in sch:
            addr = random.choice([d + street, street, ci + d + street])
        else:
            muni = c[:2] in MUNI
            pref = random.choice([p + ("" if muni else ci), short(p) + ("" if muni else short(ci)), ci])
            addr = pref + d + random.choice(["", " "]) + street
        if d not in addr:
            t["district"] = None
        row = {sch["name"]: t["name"], sch["contact"]: t["contact"], sch["mobile"]: phone_noise(m),
               sch["email"]: t["email"].upper() if random.random() < 0.2 else t["email"], sch["address"]: addr,
               sch["first"]: date_noise(first), sch["owner"]: t["owner"], sch["src"]: t["src"]}
        if "province" in sch:
            row[sch["province"]] = random.choice([p, short(p)])
            row[sch["city"]] = random.choice([ci, short(ci)])
        if "last" in sch:
            row[sch["last"]] = date_noise(last)
        else:
            t["last"] = None
        out.append(row)
        truth.append(t)
    path = os.path.join(tmp, f"s{si}.csv")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)
    subprocess.run([crmwb, "--db", os.path.join(tmp, "z.db"), "import", path, "--source", f"s{si}"], check=True,
                   stdout=subprocess.DEVNULL)
outp = os.path.join(tmp, "out.csv")
subprocess.run([crmwb, "--db", os.path.join(tmp, "z.db"), "export", "customers", "--out", outp], check=True,
               stdout=subprocess.DEVNULL)
got = {r["email"]: r for r in csv.DictReader(open(outp, encoding="utf-8-sig"))}
fields = {"name": "name", "contact": "contact_name", "mobile": "mobile", "email": "email", "province": "province",
          "city": "city", "district": "district", "first": "first_contact", "last": "last_followup", "owner": "owner",
          "src": "source_channel"}
ok = {k: 0 for k in fields}
n = {k: 0 for k in fields}
for t in truth:
    r = got.get(t["email"].lower()) or {}
    for k, col in fields.items():
        if t.get(k) is None:
            continue
        n[k] += 1
        ok[k] += r.get(col) == (t[k].lower() if k == "email" else t[k])
for k in fields:
    print(f"{k:10} {ok[k] / n[k]:.4f}")
print(f"overall    {sum(ok.values()) / sum(n.values()):.4f}")
import shutil

shutil.rmtree(tmp)
