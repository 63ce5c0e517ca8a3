"""Few-shot branch tagger against a TF-IDF + logistic-regression baseline, side by side (issue 18).

Both datasets of bench/tagger_data.py (real data): ``cpc`` (Chinese abstracts, 500 CPC subgroups,
multi-label) and ``multilang`` (abstracts in 7+ languages, 17 IPC main groups, one branch per text). At each
size N (200, 750, 2,000 labelled documents, the first N of a seeded shuffle of the training pool, so both
methods get the same examples: one (text, branch) pair per branch of a document), both methods tag the same
eval set and are scored by micro-F1 over (document, branch) pairs.

- tagger: ``ipcockpit.navigation.tagger.tag_detailed`` with its default settings (kernel ridge over a TF-IDF
  view and the e5 view; multi-label rule chosen by 3-fold CV on the examples), with the project's encoder
  behind a disk cache (bench/tagger_data.py) so reruns do not re-embed.
- baseline: TF-IDF (Latin words 1-2 + CJK characters 1-2, sublinear tf, fitted on the examples), L2 logistic
  regression one-vs-rest (liblinear, dual; class-balanced for multi-label; for one branch per text the best
  probability wins), C chosen from {1, 10, 100} by 3-fold CV micro-F1 on the examples; the multi-label rule
  chosen exactly as the tagger's (``choose_rule`` on its out-of-fold scores).
- ``cpc``: the tagger also gets the branches' tree and names (``parents``, ``descriptions``), derived from the
  codes and the bundled Chinese IPC titles (``tagger_data.cpc_tree``: subgroup -> main group; a subgroup
  named by its own or nearest IPC title), as the analyst's decomposition tree gives them in the product;
  ``--no-tree`` leaves them out; ``--names-to-baseline`` also gives the baseline each named subgroup's name
  path as one more example (``--out`` another results file).
- ``--set name=value`` changes a tagger setting (``Settings``) for a run, e.g. ``--set mix=0.5``.

Prints ``RESULT examples=<N> micro_f1=<f> baseline_micro_f1=<f> dataset=<name>`` per size and set, last (the
issue's format, the set named after it); results
also to bench/results/tagger.json. Run: ``nice -n 10 .venv/bin/python bench/tagger.py [--sizes 200,750,2000]
[--datasets cpc,multilang]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tagger_data import ROOT, cached_encoder, cpc_tree, ipc_titles, load_cpc, load_multilang  # noqa: E402

from ipcockpit.navigation.tagger import (  # noqa: E402
    Settings,
    _tokens,
    choose_rule,
    decide,
    micro_f1,
    tag_detailed,
)


def baseline(ex_texts: list[str], y: np.ndarray, labels: list[str], texts: list[str], multi_label: bool) -> list:
    x_tr, x_te = _fit_train_only(ex_texts, texts)
    folds = np.arange(len(ex_texts)) % 3
    np.random.default_rng(1).shuffle(folds)
    gold = [[labels[j] for j in np.flatnonzero(r)] for r in y]
    best = (-1.0, 1.0, ("relative", 0.5))
    for c in (1.0, 10.0, 100.0):
        oof = np.zeros(y.shape)
        for f in range(3):
            tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
            xa, xb = _fit_train_only([ex_texts[i] for i in tr], [ex_texts[i] for i in te])
            oof[te] = _regression(xa, y[tr], xb, c, multi_label)
        t = choose_rule(oof, y, labels) if multi_label else ("relative", 0.5)
        f1 = micro_f1(decide(oof, labels, multi_label, t), gold if multi_label else [[g[0]] for g in gold])
        if f1 > best[0]:
            best = (f1, c, t)
    _, c, t = best
    scores = _regression(x_tr, y, x_te, c, multi_label)
    return decide(scores, labels, multi_label, t)


def _fit_train_only(train: list[str], test: list[str]):
    """The baseline's TF-IDF (scikit-learn): the tagger's tokens (Latin words 1-2, CJK characters 1-2), fitted
    on the training texts only (inductive, the usual way), sublinear tf, min_df 2, rows L2-unit."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=lambda t: _tokens(t, 2), min_df=2, sublinear_tf=True)
    try:
        return vec.fit_transform(train), vec.transform(test)
    except ValueError:  # no token in two training texts: min_df 1
        vec = TfidfVectorizer(analyzer=lambda t: _tokens(t, 2), min_df=1, sublinear_tf=True)
        return vec.fit_transform(train), vec.transform(test)


def _regression(x_train, y: np.ndarray, x_test, c: float, multi_label: bool) -> np.ndarray:
    """Probabilities (n_test, L) of L2 logistic regression, one-vs-rest (liblinear, dual: fast when there are
    fewer documents than words), one label column of ``y`` per branch: the baseline of bench/tagger.py.
    For one branch per text the columns are normalised to sum to 1."""
    from sklearn.linear_model import LogisticRegression

    out = np.zeros((x_test.shape[0], y.shape[1]))
    for j in range(y.shape[1]):
        pos = int(y[:, j].sum())
        if pos == 0:
            continue
        if pos == y.shape[0]:
            out[:, j] = 1.0
            continue
        m = LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000,
                               class_weight="balanced" if multi_label else None)
        m.fit(x_train, y[:, j])
        out[:, j] = m.predict_proba(x_test)[:, 1]
    if not multi_label:
        out /= np.clip(out.sum(axis=1, keepdims=True), 1e-12, None)
    return out


def run(name: str, pool, ev, sizes: list[int], multi_label: bool, enc, settings: Settings,
        tree: tuple[dict[str, str], dict[str, str]] | None = None, names_to_baseline: bool = False,
        dev: bool = False) -> list[dict]:
    """``tree``: (parents, names) of the branches, given to the tagger only (the baseline gets the same
    examples); ``names_to_baseline``: the baseline also gets each named branch's name as one more example."""
    parents, names = tree or (None, None)
    texts = [t for _, t, _ in ev]
    gold = [g for _, _, g in ev]
    rows = []
    for n in sizes:
        docs = pool[:n]
        examples = [(t, b) for _, t, bs in docs for b in bs]
        ex_texts = [t for _, t, _ in docs]
        labels = sorted({b for _, b in examples})
        y = np.zeros((len(docs), len(labels)), dtype=np.int8)
        for i, (_, _, bs) in enumerate(docs):
            for b in bs:
                y[i, labels.index(b)] = 1
        if not multi_label:  # a document in two folders: its first folder is its example branch
            examples = [(t, bs[0]) for _, t, bs in docs]
            y = np.zeros((len(docs), len(labels)), dtype=np.int8)
            for i, (_, _, bs) in enumerate(docs):
                y[i, labels.index(bs[0])] = 1
        t0 = time.perf_counter()
        res = tag_detailed(texts, examples, multi_label, encoder=enc, settings=settings, parents=parents,
                           descriptions=names, branches=sorted(set(parents or ()) | set(labels)) if tree else None)
        t1 = time.perf_counter()
        if names_to_baseline and names:  # the leaves' names as examples (their name path, as the tagger reads it)
            named = [b for b in sorted(names) if b in (parents or {})]
            path = {b: "；".join(x for x in (names.get((parents or {}).get(b, "")), names[b]) if x) for b in named}
            labels_b = sorted(set(labels) | set(named))
            y_b = np.zeros((len(docs) + len(named), len(labels_b)), dtype=np.int8)
            y_b[: len(docs), [labels_b.index(b) for b in labels]] = y
            y_b[np.arange(len(docs), len(docs) + len(named)), [labels_b.index(b) for b in named]] = 1
            base = baseline(ex_texts + [path[b] for b in named], y_b, labels_b, texts, multi_label)
        else:
            base = baseline(ex_texts, y, labels, texts, multi_label)
        t2 = time.perf_counter()
        as_sets = (lambda p: p) if multi_label else (lambda p: [[b] for b in p])
        f_tag = micro_f1(as_sets(res.branches), gold)
        f_base = micro_f1(as_sets(base), gold)
        row = {"dataset": name, "examples": n, "pairs": len(examples), "branches_seen": len(labels),
               "eval": len(texts), "eval_set": "dev" if dev else "val",
               "micro_f1": round(f_tag, 4), "baseline_micro_f1": round(f_base, 4),
               "rule": res.rule, "dense_weight": res.dense_weight, "tree": tree is not None,
               "parent_weight": res.parent_weight, "sparse_power": res.sparse_power,
               "names_to_baseline": bool(names_to_baseline and names),
               "tagger_s": round(t1 - t0, 1), "baseline_s": round(t2 - t1, 1)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="200,750,2000")
    ap.add_argument("--datasets", default="cpc,multilang")
    ap.add_argument("--eval", type=int, default=1500, help="multilang eval documents")
    ap.add_argument("--out", default="tagger.json", help="file name under bench/results")
    ap.add_argument("--cpc-dev", type=int, default=0,
                    help="cpc: evaluate on this many held-out training documents (a dev set) instead of sample_val")
    ap.add_argument("--no-tree", action="store_true", help="cpc: no parents and names to the tagger")
    ap.add_argument("--names-to-baseline", action="store_true",
                    help="cpc: the baseline also gets each branch's name as an example")
    ap.add_argument("--set", action="append", default=[], help="a Settings field, e.g. --set mix=0.3")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    st = Settings()
    for kv in args.set:
        k, v = kv.split("=")
        setattr(st, k, type(getattr(st, k) if getattr(st, k) is not None else 0.0)(v))
    enc = cached_encoder("multi")
    rows = []
    for name in args.datasets.split(","):
        if name == "cpc":
            pool, ev = load_cpc(dev=args.cpc_dev)
            codes = json.loads((Path("/work/shared/data/cn/abstracts_cpc_liaoleyuan") / "selected_labels.json")
                               .read_text(encoding="utf-8"))
            tree = None if args.no_tree else cpc_tree(codes, ipc_titles())
            rows += run(name, pool, ev, sizes, True, enc, st, tree, args.names_to_baseline, args.cpc_dev > 0)
        else:
            pool, ev = load_multilang(n_eval=args.eval)
            rows += run(name, pool, ev, sizes, False, enc, st)
    out = ROOT / "bench" / "results" / args.out
    out.write_text(json.dumps({"settings": st.__dict__, "rows": rows}, indent=1, ensure_ascii=False))
    for r in rows:
        print(f"RESULT examples={r['examples']} micro_f1={r['micro_f1']:.4f} "
              f"baseline_micro_f1={r['baseline_micro_f1']:.4f} dataset={r['dataset']}")


if __name__ == "__main__":
    main()
