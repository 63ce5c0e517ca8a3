"""US claim lists (application number + independent claim)."""

from __future__ import annotations

from pathlib import Path

from ipcockpit.app import Cockpit

CLAIMS = "claims_us/single_claim.tsv"


def test_single_claims(cockpit: Cockpit, shared: Path) -> None:
    lines = [ln for ln in (shared / CLAIMS).read_text(encoding="utf-8").splitlines() if ln.strip()]
    [r] = cockpit.ingest([shared / CLAIMS])
    assert r.format == "us-claims-tsv" and r.read == len(lines) == 399
    assert r.read == r.loaded + r.quarantined + r.merged and r.quarantined == 0
    appno, text = lines[0].split("\t", 1)
    row = cockpit.store.query("SELECT d.doc_id, d.app_id, d.stub, c.num, c.independent, c.text FROM documents d "
                              "JOIN claims c USING (doc_id) WHERE d.app_id = ?", [f"US{appno}"])[0]
    assert row["doc_id"] == f"USA{appno}" and row["stub"] and row["num"] == 1 and row["independent"]
    assert row["text"].startswith("An Internet-based system for implementing massive groupware applications")
    assert cockpit.store.scalar("SELECT count(DISTINCT doc_id) FROM claims") == r.loaded
