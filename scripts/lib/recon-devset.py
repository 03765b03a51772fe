#!/usr/bin/env python3
"""Drives one reconciliation development set through the HTTP API exactly as a client would:
a project, two sources (the set's dialect as a client would configure it: the bank's sign
convention from meta.json, everything else detected), two uploads, a job at the default
threshold, the JSON export; then the set's own scorer on that export.

    recon-devset.py BASE_URL TOKEN SET_DIR OUT_JSON [--sweep]

Prints each step's time and score.py's output (its last line is the summary). Stdlib only."""
import json, os, subprocess, sys, time, urllib.request

base, token, set_dir, out = sys.argv[1:5]
sweep = "--sweep" in sys.argv[5:]


def call(method, path, body=None, content_type="application/json"):
    req = urllib.request.Request(base + path, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", content_type)
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.read()


meta = json.load(open(os.path.join(set_dir, "meta.json")))
mapping = {f: f for f in ("id", "date", "amount", "currency", "reference", "description", "counterparty")}
name = os.path.basename(os.path.normpath(set_dir))
project = json.loads(call("POST", "/projects", json.dumps({"name": name}).encode()))["data"]["id"]
left = json.loads(call("POST", f"/projects/{project}/sources", json.dumps(
    {"name": "ledger", "kind": "ledger", "mapping": mapping}).encode()))["data"]["id"]
bank_options = {"sign_convention": "flipped"} if meta.get("bank_sign") == "flipped" else {}
right = json.loads(call("POST", f"/projects/{project}/sources", json.dumps(
    {"name": "bank", "kind": "bank", "mapping": mapping, "options": bank_options}).encode()))["data"]["id"]
t0 = time.time()
call("POST", f"/projects/{project}/sources/{left}/uploads", open(os.path.join(set_dir, "left.csv"), "rb").read(), "text/csv")
t1 = time.time()
call("POST", f"/projects/{project}/sources/{right}/uploads", open(os.path.join(set_dir, "right.csv"), "rb").read(), "text/csv")
t2 = time.time()
job = json.loads(call("POST", f"/projects/{project}/reconciliation-jobs", json.dumps(
    {"left_source_id": left, "right_source_id": right}).encode()))["data"]["id"]
while True:
    j = json.loads(call("GET", f"/projects/{project}/reconciliation-jobs/{job}"))["data"]
    if j["status"] not in ("queued", "running"):
        break
    time.sleep(0.05)
t3 = time.time()
export = call("GET", f"/projects/{project}/reconciliation-jobs/{job}/export?format=json")
t4 = time.time()
open(out, "wb").write(export)
if j["status"] != "completed":
    sys.exit(f"job {j['status']}: {j.get('error')}")
st = j.get("stats", {})
print(f"{name}: upload ledger {t1 - t0:.2f} s, bank {t2 - t1:.2f} s, job {t3 - t2:.2f} s (load {st.get('load_ms')} ms, match {st.get('match_ms')} ms, "
      f"store {st.get('store_ms')} ms), export {t4 - t3:.2f} s; end to end {t4 - t0:.2f} s")
scorer = os.path.join(os.path.dirname(os.path.normpath(set_dir)), "score.py")
if not os.path.exists(scorer):
    scorer = os.path.join(set_dir, "score.py")
args = [sys.executable, scorer, "--truth", os.path.join(set_dir, "truth.csv"), "--pred", out, "--wall", f"{t4 - t0:.2f}"]
sys.exit(subprocess.call(args + (["--sweep"] if sweep else [])))
