"""Unit tests of the metric code in evaluate.py (run: python -m unittest test_evaluate)."""
import csv
import os
import tempfile
import unittest

import evaluate as ev


def rec(k, s="a"):
    return (s, str(k))


class Metrics(unittest.TestCase):
    def setUp(self):
        # entities: X = {1,2,3}, Y = {4,5}, Z = {6}
        self.truth = {rec(1): "X", rec(2): "X", rec(3): "X", rec(4): "Y", rec(5): "Y", rec(6): "Z"}

    def test_perfect(self):
        cl = {r: e for r, e in self.truth.items()}
        pw = ev.pairwise(self.truth, cl)
        self.assertEqual((pw["tp"], pw["predicted_pairs"], pw["true_pairs"]), (4, 4, 4))
        self.assertEqual(pw["f1"], 1.0)
        self.assertEqual(ev.bcubed(self.truth, cl)["f1"], 1.0)

    def test_all_singletons(self):
        cl = {r: str(i) for i, r in enumerate(self.truth)}
        pw = ev.pairwise(self.truth, cl)
        self.assertEqual(pw["precision"], 1.0)   # no predicted pairs: nothing wrong
        self.assertEqual(pw["recall"], 0.0)
        bc = ev.bcubed(self.truth, cl)
        self.assertEqual(bc["precision"], 1.0)
        # recall per record: 1/3 for X's three, 1/2 for Y's two, 1 for Z
        self.assertAlmostEqual(bc["recall"], (3 * (1 / 3) + 2 * 0.5 + 1) / 6)

    def test_one_big_cluster(self):
        cl = {r: "c" for r in self.truth}
        pw = ev.pairwise(self.truth, cl)
        self.assertEqual((pw["tp"], pw["predicted_pairs"]), (4, 15))
        self.assertAlmostEqual(pw["precision"], 4 / 15)
        self.assertEqual(pw["recall"], 1.0)
        bc = ev.bcubed(self.truth, cl)
        self.assertAlmostEqual(bc["precision"], (3 * 3 / 6 + 2 * 2 / 6 + 1 / 6) / 6)

    def test_missing_records_are_singletons(self):
        cl = {rec(1): "c", rec(2): "c", rec(4): "d", rec(5): "d"}     # 3 and 6 rejected
        pw = ev.pairwise(self.truth, cl)
        self.assertEqual((pw["tp"], pw["predicted_pairs"], pw["true_pairs"]), (2, 2, 4))
        self.assertEqual(pw["recall"], 0.5)

    def test_blocking_records_and_groups(self):
        pairs = [(rec(1), rec(2)), (rec(4), rec(5)), (rec(1), rec(6))]
        b = ev.blocking_recall(self.truth, "records", pairs)
        self.assertEqual((b["covered"], b["true_pairs"]), (2, 4))
        # groups: 1 and 3 already one customer (g1); candidate pair g1-g2 covers 1-2 and 3-2
        groups = {rec(1): "g1", rec(3): "g1", rec(2): "g2", rec(4): "g4", rec(5): "g5", rec(6): "g6"}
        b = ev.blocking_recall(self.truth, "groups", [("g1", "g2")], groups)
        self.assertEqual((b["covered"], b["true_pairs"]), (3, 4))

    def test_blocking_per_source_pair(self):
        truth = {("crm", "1"): "X", ("tickets", "9"): "X", ("crm", "2"): "Y", ("crm", "3"): "Y"}
        b = ev.blocking_recall(truth, "records", [(("tickets", "9"), ("crm", "1"))])
        self.assertEqual(b["per_source_pair"]["crm / tickets"]["recall"], 1.0)
        self.assertEqual(b["per_source_pair"]["crm / crm"]["recall"], 0.0)

    def test_field_norm(self):
        self.assertEqual(ev.norm_value("name", " 星澜 科技（杭州）有限公司 "), ev.norm_value("name", "星澜科技(杭州)有限公司"))
        self.assertEqual(ev.norm_value("interaction_at", "2024-03-05 14:22"), "2024-03-05")
        self.assertEqual(ev.norm_value("email", "A@B.COM "), "a@b.com")
        self.assertNotEqual(ev.norm_value("mobile", "138 0000 0000"), "13800000000")


class Files(unittest.TestCase):
    def write(self, d, name, rows):
        p = os.path.join(d, name)
        with open(p, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
        return p

    def test_end_to_end(self):
        with tempfile.TemporaryDirectory() as d:
            t = self.write(d, "t.csv", [["source", "source_key", "entity_id"], ["s", "1", "A"], ["s", "2", "A"],
                                        ["s", "3", "B"], ["s", "4", "C"]])
            c = self.write(d, "c.csv", [["source", "source_key", "customer_number"], ["s", "1", "N1"],
                                        ["s", "2", "N1"], ["s", "3", "N1"], ["s", "4", "N4"]])
            h = self.write(d, "h.csv", [["entity_a", "entity_b", "kind"], ["A", "B", "namesakes"],
                                        ["A", "C", "near_names"]])
            ft = self.write(d, "ft.csv", [["source", "source_key", "field", "value"], ["s", "1", "mobile", "13800000000"],
                                          ["s", "2", "mobile", "13800000001"], ["s", "3", "city", "宁波市"]])
            fo = self.write(d, "fo.csv", [["source", "source_key", "field", "value"], ["s", "1", "mobile", "13800000000"],
                                          ["s", "2", "mobile", "138-0000-0001"]])
            res = ev.evaluate([t], c, hard_path=h, field_truth_path=ft, fields_path=fo)
            self.assertEqual(res["pairwise"]["tp"], 1)
            self.assertEqual(res["pairwise"]["predicted_pairs"], 3)
            self.assertEqual(res["hard_negatives"]["merged"], 1)
            self.assertEqual(res["hard_negatives"]["by_kind"]["near_names"]["merged"], 0)
            self.assertEqual(res["fields"]["right"], 1)
            self.assertEqual(res["fields"]["expected"], 3)


if __name__ == "__main__":
    unittest.main()
