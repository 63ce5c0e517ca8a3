"""Organisation resolution quality on the NBER assignees (216,847 mentions with PatentsView's ground truth).

Three engines on the same mentions, in one process, each timed on the same machine:

- ``folding``: today's name-only baseline, one entity per ``normalise_name`` (ipcockpit.model.names);
- ``ipcockpit``: :func:`ipcockpit.entities.organisations.resolve` (blocked pairs, word-aligned scorer, clustering
  that does not chain);
- ``splink``: splink 5 (Fellegi–Sunter on DuckDB) on the same distinct names read by the same
  :mod:`ipcockpit.entities.org_keys` (core, legal-form family, first word, initials), blocked on the same keys,
  u by random sampling, m by expectation maximisation, clustered by connected components at
  ``--splink-threshold`` (a match probability; several may be given). Skipped with ``--no-splink``.

Printed: one line per engine with pairwise precision/recall/F1, B³ precision/recall/F1 and seconds; the last
line ``RESULT`` holds ipcockpit's and the baseline's pairwise precision and B³ F1.
Run: ``.venv/bin/python bench/entities_quality.py [--no-splink] [--splink-threshold 0.5 0.9 0.99]``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ipcockpit.entities.org_keys import read_name  # noqa: E402
from ipcockpit.entities.org_quality import cluster_metrics  # noqa: E402
from ipcockpit.entities.organisations import resolve  # noqa: E402
from ipcockpit.model.names import normalise_name  # noqa: E402

DATA = Path("entity_resolution/nber-subset-assignees-benchmark.csv")


def shared_data() -> Path:
    env = os.environ.get("IPCOCKPIT_SHARED_DATA")
    for c in [*([Path(env)] if env else []), REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (c / DATA).exists():
            return c
    raise SystemExit("../shared/data/entity_resolution not found")


def load() -> tuple[list[str], list[str]]:
    with open(shared_data() / DATA, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["organization"] for r in rows], [r["unique_id"] for r in rows]


def splink_clusters(names: list[str], thresholds: list[float]) -> tuple[dict[float, list[str]], float]:
    """Splink's cluster label per mention at each threshold, and the seconds of training, prediction and one
    threshold's clustering."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    distinct = sorted(set(names))
    rows = []
    for i, raw in enumerate(distinct):
        r = read_name(raw)
        words = [w for w in r.core.split() if w != "|"] if r else []
        rows.append({"unique_id": i, "core": r.core if r else raw, "compact": "".join(words) or raw,
                     "form": r.form if r else None, "first": words[0] if words else None,
                     "last": words[-1] if words else None,
                     "initials": "".join(w[0] for w in words) if len(words) > 1 else None,
                     "prefix": "".join(words)[:6] or None, "suffix": "".join(words)[-6:] or None})
    frame = pd.DataFrame(rows)
    started = time.perf_counter()
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("compact", [0.98, 0.95, 0.9]),
            cl.LevenshteinAtThresholds("core", [1, 2, 4]),
            cl.ExactMatch("form"),
            cl.ExactMatch("first"),
            cl.ExactMatch("last"),
        ],
        blocking_rules_to_generate_predictions=[block_on("prefix"), block_on("suffix"), block_on("initials")],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db.register(frame), settings)
    linker.training.estimate_probability_two_random_records_match([block_on("core")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("prefix"))
    predictions = linker.inference.predict(threshold_match_probability=min(thresholds))
    trained = time.perf_counter() - started
    index = {raw: i for i, raw in enumerate(distinct)}
    out: dict[float, list[str]] = {}
    seconds = trained
    for threshold in thresholds:
        started = time.perf_counter()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        label = {int(u): str(c) for u, c in clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()}
        seconds = trained + time.perf_counter() - started
        out[threshold] = [label[index[n]] for n in names]
    return out, seconds


def line(engine: str, m: dict[str, float], seconds: float, cpu: float) -> str:
    return (f"{engine:<18} pairwise P {m['pairwise_precision']:.4f} R {m['pairwise_recall']:.4f} "
            f"F1 {m['pairwise_f1']:.4f} | B3 P {m['b3_precision']:.4f} R {m['b3_recall']:.4f} F1 {m['b3_f1']:.4f} "
            f"| {seconds:.1f} s, {cpu:.1f} CPU s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--splink-threshold", type=float, nargs="+", default=[0.9, 0.99, 0.999, 0.9999])
    args = ap.parse_args()
    names, truth = load()
    print(f"{len(names)} mentions, {len(set(names))} distinct names, {len(set(truth))} true entities")
    started, cpu = time.perf_counter(), time.process_time()
    folded = [normalise_name(n) for n in names]
    base = cluster_metrics(folded, truth)
    print(line("folding", base, time.perf_counter() - started, time.process_time() - cpu), flush=True)
    started, cpu = time.perf_counter(), time.process_time()
    ours = cluster_metrics(resolve(names).ids, truth)
    print(line("ipcockpit", ours, time.perf_counter() - started, time.process_time() - cpu), flush=True)
    if not args.no_splink:
        cpu = time.process_time()
        labels, seconds = splink_clusters(names, args.splink_threshold)
        cpu = time.process_time() - cpu
        for threshold, lab in labels.items():
            print(line(f"splink p>={threshold}", cluster_metrics(lab, truth), seconds, cpu))
    print(f"RESULT pairwise_precision={ours['pairwise_precision']:.4f} b3_f1={ours['b3_f1']:.4f} "
          f"baseline_pairwise_precision={base['pairwise_precision']:.4f} baseline_b3_f1={base['b3_f1']:.4f}")


if __name__ == "__main__":
    main()
