#!/usr/bin/env python3
"""Query plans before and after an index change (issue 15).

    python3 benches/index_plans.py BEFORE.db AFTER.db [--all]

Takes every SQL string literal in src/store/*.rs that reads or writes
`customers`, fills its format placeholders with representative terms (as
src/store builds them), and prints each statement whose EXPLAIN QUERY PLAN
differs between the two databases (with --all: every statement and its
plan). Make AFTER a copy of BEFORE with the indexes in question dropped.
Bind parameters are bound to placeholder text: without ANALYZE statistics
(crmwb never runs ANALYZE) the planner's choice does not depend on them.
Statements it cannot fill are listed with the reason. Run on demand.
"""
import glob, os, re, sqlite3, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
before, after = sys.argv[1:3]
show_all = "--all" in sys.argv
subs = {
    "cond": "merged_into IS NULL", "CUSTOMER_COLUMNS": "*", "INPUT_COLUMNS": "*", "NOT_ERASED": "1",
    "cols": "c.id, c.number, c.name, c.owner, c.status, c.reminders_from",
    "NEXT_DUE_TERMS": "c.merged_into IS NULL AND c.next_followup >= coalesce(c.reminders_from, '')",
    "CONTRACT_DUE_TERMS": "c.merged_into IS NULL AND c.contract_expiry >= coalesce(c.reminders_from, '')",
    "FIRST_CONTACT_TERMS": "c.merged_into IS NULL AND c.first_contact IS NOT NULL",
    "RECURRING_TERMS": "c.merged_into IS NULL AND c.priority IS NOT NULL",
    "RECURRING_BASE": "max(coalesce(c.last_followup, c.first_contact, substr(c.created_at, 1, 10)), coalesce(c.reminders_from, ''))",
    "dir": "ASC", "col": "name_sort", "n": "1", "guard": "", "marks": "?", "list": "1, 2",
    "table": "customer_phones", "tbl": "customer_phones",
}
conns = [sqlite3.connect(f"file:{d}?mode=ro", uri=True) for d in (before, after)]
literal = re.compile(r'r?#?"((?:[^"\\]|\\.)*)"#?', re.S)


def plan(conn, sql):
    args = ()
    for _ in range(2):
        try:
            return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))
        except sqlite3.Error as e:
            m = re.search(r"uses (\d+)", str(e))
            if not (m and not args):
                return "ERR " + str(e)
            args = ("x",) * int(m.group(1))


seen, explained, changed = set(), 0, 0
for path in sorted(glob.glob(os.path.join(root, "src/store/*.rs"))):
    text = open(path, encoding="utf-8").read()
    for m in literal.finditer(text):
        sql = re.sub(r"\\\s*\n\s*", "", m.group(1)).replace("\\n", " ").replace('\\"', '"').replace("\\\\", "\\")
        if not re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT|WITH)\b", sql, re.I) or "customers" not in sql:
            continue
        sql = re.sub(r"\{(\w+)\}", lambda g: subs.get(g.group(1), g.group(0)), sql)
        sql = sql.replace("{}", "?").replace("{{", "{").replace("}}", "}")
        if sql in seen:
            continue
        seen.add(sql)
        where = f"{os.path.basename(path)}:{text[:m.start()].count(chr(10)) + 1}"
        a, b = plan(conns[0], sql), plan(conns[1], sql)
        if a.startswith("ERR"):
            print(f"?? {where}: {a}\n   {' '.join(sql.split())[:200]}")
            continue
        explained += 1
        if a != b:
            changed += 1
        if show_all or a != b:
            print(f"{'CHANGED ' if a != b else ''}{where}\n  {' '.join(sql.split())[:300]}\n  before: {a}\n  after:  {b}")
print(f"{len(seen)} statements on customers, {explained} explained, {changed} with a different plan")
