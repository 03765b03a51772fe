#!/usr/bin/env python3
"""Tiles development sets over consecutive years into one larger set of the same kind:
copy k of SETS[k % len(SETS)] with every date moved 371*k days (53 weeks, so weekdays stay) and
every id prefixed T<k>; truth rewritten alike. The density per year stays that of one set: a
throughput measure at 100k and 1M, not a measure of denser books.

--renumber (for many copies): copy k >= 1 also has k written into every run of three or more
digits in references and descriptions, after the run's leading zeros, the same on both sides.
Without it every document number of a 100-copy tiling is carried by 100 records, and the
matcher rightly drops such numbers as no identifier; real books do not repeat each invoice
number once a year. It is an artefact of its own (a year written in a text becomes a number
unique to the copy), so the 100k tiling (10 copies) is left as it is.

    recon-tile.py COPIES OUT_DIR SET_DIR [SET_DIR ...] [--renumber]
"""
import csv, datetime, json, os, re, shutil, sys

renumbered = "--renumber" in sys.argv
copies, out, sets = int(sys.argv[1]), sys.argv[2], [a for a in sys.argv[3:] if a != "--renumber"]


def renumber(text, k):
    # k goes after the run's leading zeros: a number written without them ("123" for "00123"),
    # or cut short by a bank ("280160" for "28016012"), still agrees with the full one.
    def one(m):
        digits = m.group(0)
        rest = digits.lstrip("0")
        return digits if not rest else digits[:len(digits) - len(rest)] + str(k) + rest
    return text if k == 0 or not text or not renumbered else re.sub(r"\d{3,}", one, text)


os.makedirs(out, exist_ok=True)
hdr = ["id", "date", "amount", "currency", "reference", "description", "counterparty"]
with open(f"{out}/left.csv", "w", newline="") as L, open(f"{out}/right.csv", "w", newline="") as R, open(f"{out}/truth.csv", "w", newline="") as T:
    lw, rw, tw = csv.writer(L), csv.writer(R), csv.writer(T)
    lw.writerow(hdr)
    rw.writerow(hdr)
    tw.writerow(["group_id", "kind", "note", "left_ids", "right_ids"])
    for k in range(copies):
        s, p = sets[k % len(sets)], f"T{k}"
        shift = datetime.timedelta(days=371 * k)
        for f, w in (("left.csv", lw), ("right.csv", rw)):
            for r in csv.DictReader(open(f"{s}/{f}", encoding="utf-8-sig")):
                d = datetime.date.fromisoformat(r["date"]) + shift
                w.writerow([p + r["id"], d.isoformat(), r["amount"], r["currency"], renumber(r["reference"], k), renumber(r["description"], k),
                            r["counterparty"]])
        for g in csv.DictReader(open(f"{s}/truth.csv")):
            ids = lambda x: "|".join(p + i for i in x.split("|") if i)
            note = g["note"]
            if note.startswith("duplicate_of:"):
                note = "duplicate_of:" + p + note.split(":", 1)[1]
            tw.writerow([p + g["group_id"], g["kind"], note, ids(g["left_ids"]), ids(g["right_ids"])])
json.dump({"bank_sign": "same", "tiled_from": [os.path.basename(os.path.normpath(s)) for s in sets], "copies": copies, "renumbered": renumbered}, open(f"{out}/meta.json", "w"))
shutil.copy(os.path.join(os.path.dirname(os.path.normpath(sets[0])), "score.py"), out)
