"""The few-shot branch tagger and the indexing queue on real abstracts (small: the encoder runs for real).

Data: cn/abstracts_multilang_ipc (abstracts by IPC main group, several languages) and
cn/abstracts_cpc_liaoleyuan (Chinese abstracts, several CPC subgroups each); see /work/shared/data/MANIFEST.md.
Like the other real-data tests, they fail (not skip) when ../shared/data is absent.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from ipcockpit import i18n
from ipcockpit.navigation import tag as lazy_tag
from ipcockpit.navigation.queue import next_to_mark
from ipcockpit.navigation.tagger import TaggerError, default_encoder, micro_f1, tag, tag_detailed

DATA = Path("/work/shared/data/cn")
GROUPS = ["B60T1-10", "D21F5-20", "F17C9-04"]  # vehicle brakes, paper drying, gas-vessel emptying

_memo: dict[str, np.ndarray] = {}


def encoder(texts: list[str]) -> np.ndarray:
    """The project's encoder, remembered across the tests of this file (each text embedded once)."""
    todo = [t for t in dict.fromkeys(texts) if t not in _memo]
    if todo:
        _memo.update(zip(todo, default_encoder(todo), strict=True))
    return np.stack([_memo[t] for t in texts])


def multilang(per_group: int) -> dict[str, list[str]]:
    """The first ``per_group`` English abstracts (US/EP/WO) and Chinese ones, alternately, of each group."""
    out: dict[str, list[str]] = {}
    for g in GROUPS:
        en, zh = [], []
        for f in sorted((DATA / "abstracts_multilang_ipc" / "Abstract" / f"Class{g}").glob("*.txt")):
            for line in f.read_text(encoding="utf-8").splitlines():
                m = re.match(r"id-(\S+)\s+abstract-(.*)", line)
                if m and len(m.group(2)) > 80:
                    (zh if m.group(1).startswith("CN") else en if m.group(1)[:2] in {"US", "EP", "WO"} else []).append(
                        m.group(2)
                    )
        mixed = [t for pair in zip(zh, en, strict=False) for t in pair]
        out[g] = list(dict.fromkeys(mixed))[:per_group]
    return out


@pytest.fixture(scope="module")
def groups() -> dict[str, list[str]]:
    return multilang(14)


def test_tagger_beats_chance_and_gets_its_own_examples_right(groups) -> None:
    examples = [(t, g) for g, ts in groups.items() for t in ts[:6]]
    texts = [t for ts in groups.values() for t in ts[6:]]
    gold = [g for g, ts in groups.items() for _ in ts[6:]]
    got = tag(texts, examples, encoder=encoder)
    accuracy = np.mean([a == b for a, b in zip(got, gold, strict=True)])
    assert accuracy >= 0.7, (accuracy, got)  # chance: 1/3
    # an example text among the texts to tag: its own branch
    again = tag([groups[g][0] for g in GROUPS], examples, encoder=encoder)
    assert again == GROUPS


def test_lazy_package_entry_point_is_the_tagger(groups) -> None:
    examples = [(t, g) for g, ts in groups.items() for t in ts[:3]]
    assert lazy_tag([groups["D21F5-20"][0]], examples, encoder=encoder) == ["D21F5-20"]


def test_class_codes_are_features(groups) -> None:
    """Texts with no words in common with the examples, only their codes: the codes carry the branch."""
    examples = [(t, g) for g, ts in groups.items() for t in ts[:4]]
    ex_classes = {t: [g.replace("-", "/"), "F99Z"] for g, ts in groups.items() for t in ts[:4]}
    texts = ["—"] * 3
    got = tag(texts, examples, classes=[[g.replace("-", "/")] for g in GROUPS], example_classes=ex_classes,
              encoder=encoder)
    assert got == GROUPS


@pytest.fixture(scope="module")
def cpc() -> list[tuple[str, list[str]]]:
    csv.field_size_limit(10**9)
    with open(DATA / "abstracts_cpc_liaoleyuan" / "sample_val.csv", encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["text"].strip()]
    return [(r["text"], json.loads(r["labels"])) for r in rows[:40]]


@pytest.fixture(scope="module")
def cpc80() -> list[tuple[str, list[str]]]:
    csv.field_size_limit(10**9)
    with open(DATA / "abstracts_cpc_liaoleyuan" / "sample_val.csv", encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["text"].strip()]
    return [(r["text"], json.loads(r["labels"])) for r in rows[:80]]


def test_multi_label_shape_and_branches_from_the_examples(cpc) -> None:
    train, test = cpc[:30], cpc[30:]
    examples = [(t, b) for t, bs in train for b in bs]
    res = tag_detailed([t for t, _ in test], examples, multi_label=True, encoder=encoder)
    assert len(res.branches) == len(test)
    seen = {b for _, b in examples}
    assert all(isinstance(bs, list) and set(bs) <= seen for bs in res.branches)
    assert all(len(bs) >= 1 for bs in res.branches)  # floor 0: a text keeps at least its best branch
    assert res.rule is not None and res.scores.shape == (len(test), len(seen))
    # the examples themselves come back with (most of) their own branches
    back = tag([t for t, _ in train[:10]], examples, multi_label=True, encoder=encoder)
    assert micro_f1(back, [bs for _, bs in train[:10]]) > 0.5
    # the queue in multi-label mode: reasons from the decision cut, the novelty or a weak branch
    queue = next_to_mark([t for t, _ in test], examples, k=4, multi_label=True, encoder=encoder)
    assert len(queue) == 4
    kinds = {"nav.queue.reason.threshold", "nav.queue.reason.novel", "nav.queue.reason.weak_branch"}
    assert {q.reason for q in queue} <= kinds


def test_bad_input_says_what_to_do(groups) -> None:
    one = groups["B60T1-10"][0]
    with pytest.raises(TaggerError, match="no examples"):
        tag([one], [])
    with pytest.raises(TaggerError, match="empty"):
        tag([one], [("", "a")])
    with pytest.raises(TaggerError, match="at least one other branch"):
        tag([one], [(one, "brakes")], multi_label=True, encoder=encoder)
    with pytest.raises(TaggerError, match="multi_label=True"):
        tag([one], [(one, "a"), (one, "b")], encoder=encoder)
    with pytest.raises(TaggerError, match="one list of codes per text"):
        tag([one], [(one, "a"), (groups["D21F5-20"][0], "b")], classes=[], encoder=encoder)
    assert tag([], [(one, "brakes")]) == []
    # one branch, one branch per text: every text is that branch (documented)
    assert tag([groups["D21F5-20"][1]], [(one, "brakes")], encoder=encoder) == ["brakes"]


def test_branch_without_examples_and_with_one_are_reported_in_place(groups) -> None:
    examples = [(t, g) for g in GROUPS[:2] for t in groups[g][:3]] + [(groups[GROUPS[2]][0], GROUPS[2])]
    res = tag_detailed([groups[GROUPS[0]][5]], examples, branches=[*GROUPS, "F99Z-empty"], encoder=encoder)
    assert res.notes == {GROUPS[2]: "one_example", "F99Z-empty": "no_examples"}
    assert "F99Z-empty" not in res.labels  # never assigned
    t = i18n.Translator("en")
    assert "no marked examples" in t("nav.tagger.no_examples", branch="F99Z-empty")


def test_queue_asks_for_the_most_uncertain_first(groups) -> None:
    examples = [(t, g) for g, ts in groups.items() for t in ts[:3]]
    pool = [t for ts in groups.values() for t in ts[3:12]]
    queue = next_to_mark(pool, examples, k=5, diversity=0.0, encoder=encoder)
    assert len(queue) == 5 and len({q.index for q in queue}) == 5
    res = tag_detailed(pool, examples, encoder=encoder)
    p = res.scores / res.scores.sum(axis=1, keepdims=True)
    top2 = np.sort(p, axis=1)[:, -2:]
    margins = top2[:, 1] - top2[:, 0]
    # informativeness never rises down the queue, and the first is among the most uncertain third
    assert all(a.score >= b.score - 1e-9 for a, b in zip(queue, queue[1:], strict=False))
    first = queue[0]
    ex_vecs = encoder([t for t, _ in examples])
    closest = (encoder(pool) @ ex_vecs.T).max(axis=1)
    assert first.reason in {"nav.queue.reason.margin", "nav.queue.reason.novel"}
    if first.reason == "nav.queue.reason.margin":  # a near tie: among the smallest third of margins
        assert margins[first.index] <= np.quantile(margins, 1 / 3) + 1e-9
    else:  # unlike every example: among the tenth least like them
        assert closest[first.index] <= np.quantile(closest, 0.1) + 1e-6
    # the whole queue leans uncertain: its mean margin is below the pool's
    assert np.mean([margins[q.index] for q in queue]) < np.mean(margins)
    en = i18n.Translator("en")
    for q in queue:
        assert en.has(q.reason) and "{" not in en(q.reason, **q.params)
        assert q.suggested and set(q.suggested) <= set(GROUPS)
    # marked texts are never asked again
    assert next_to_mark(pool[:2], [(pool[0], GROUPS[0]), (pool[1], GROUPS[1])], encoder=encoder) == []


def test_queue_cold_start_spreads_over_the_topics(groups) -> None:
    pool = [t for ts in groups.values() for t in ts[:8]]
    queue = next_to_mark(pool, [], k=3, encoder=encoder)
    assert [q.reason for q in queue] == ["nav.queue.reason.cold_start"] * 3
    topics = {g for q in queue for g, ts in groups.items() if pool[q.index] in ts}
    assert len(topics) >= 2  # farthest-first does not pick three of one topic


def test_tfidf_kernel_equals_the_dense_product(groups) -> None:
    from ipcockpit.navigation.tagger import _tokens, sparse_view, tfidf_rows

    docs = [t for ts in groups.values() for t in ts[:5]]
    train, other = sparse_view(docs[:9], docs[9:])
    m = tfidf_rows([_tokens(t, 2) for t in docs])
    dense = np.zeros((len(m), m.width))
    for i in range(len(m)):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        dense[i, m.indices[lo:hi]] = m.data[lo:hi]
    norms = np.linalg.norm(dense, axis=1)  # unit rows; zero for a text with no token in two texts
    assert np.allclose(norms[norms > 0], 1.0) and (norms > 0).sum() >= len(docs) - 2
    assert np.allclose(other.gram(train), dense[9:] @ dense[:9].T)
    assert np.allclose(train.gram(train), dense[:9] @ dense[:9].T)
    k = other.gram(train)
    assert k.max() > 0.1 and k.mean() < 0.5  # abstracts share some words, not all


def test_the_tagger_needs_no_scikit_learn_at_run_time() -> None:
    """`make run` installs no scikit-learn or scipy: tagging must not import them."""
    import subprocess
    import sys

    code = (
        "import sys; from ipcockpit.navigation import tag; "
        "print(tag(['电池热管理', 'brake pedal'], [('电池管理系统', 'a'), ('制动系统 brake', 'b')])); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.splitlines()
    assert out[-1] == "[]" and len(eval(out[0])) == 2  # noqa: S307 - our own printed list


def test_branch_names_and_tree_tag_branches_nobody_marked(cpc80) -> None:
    """40 marked abstracts, 40 to tag, CPC subgroups: with the tree (subgroup -> main group) and the branch
    names (the bundled Chinese IPC titles, as bench/tagger.py derives them), branches no example has are given,
    and rightly often enough to lift micro-F1 well above the examples alone."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from tagger_data import cpc_tree, ipc_titles

    train, test = cpc80[:40], cpc80[40:]
    examples = [(t, b) for t, bs in train for b in bs]
    codes = sorted({b for _, bs in cpc80 for b in bs})
    parents, names = cpc_tree(codes, ipc_titles())
    texts, gold = [t for t, _ in test], [bs for _, bs in test]
    plain = tag(texts, examples, multi_label=True, encoder=encoder)
    res = tag_detailed(texts, examples, True, parents=parents, descriptions=names, branches=codes, encoder=encoder)
    seen = {b for _, b in examples}
    assert not {b for bs in plain for b in bs} - seen  # without names: only marked branches
    unseen = [(b, b in g) for p, g in zip(res.branches, gold, strict=True) for b in p if b not in seen]
    assert sum(ok for _, ok in unseen) >= 3 and np.mean([ok for _, ok in unseen]) >= 0.2, unseen
    assert micro_f1(res.branches, gold) >= micro_f1(plain, gold) + 0.05
    named_only = {b for b, n in res.notes.items() if n == "named_only"}
    assert named_only and named_only <= set(names) - seen and not named_only & set(res.notes) - named_only
    assert "G06F16" not in res.labels  # main groups are columns behind the subgroups, not answers
    assert "its name" in i18n.Translator("en")("nav.tagger.named_only", branch=sorted(named_only)[0])


def test_parents_pool_the_examples_of_sibling_branches(groups) -> None:
    """Brake texts split into four sibling branches with one example each, beside two branches with three:
    alone, a lone brake example loses many brake texts to the better-marked branches; with the tree saying the
    four are brakes (parent ``brakes``), their pooled examples keep more brake texts under a brake branch."""
    brakes = groups["B60T1-10"]
    examples = [(brakes[i], f"brakes/{i}") for i in range(4)]
    examples += [(t, g) for g in GROUPS[1:] for t in groups[g][:3]]
    texts = brakes[4:14]
    parents = {f"brakes/{i}": "brakes" for i in range(4)}

    def brake_share(got: list[str]) -> float:
        return float(np.mean([b.startswith("brakes/") for b in got]))

    alone = tag(texts, examples, encoder=encoder)
    from ipcockpit.navigation.tagger import Settings

    pooled = tag_detailed(texts, examples, parents=parents, settings=Settings(parent_weight=1.0), encoder=encoder)
    assert pooled.parent_weight == 1.0 and "brakes" not in pooled.labels  # the parent is a column, not an answer
    assert brake_share(pooled.branches) > brake_share(alone), (alone, pooled.branches)
    # a parent weight of 0 is the plain tagger
    same = tag(texts, examples, parents=parents, settings=Settings(parent_weight=0.0), encoder=encoder)
    assert same == alone


def test_tfidf_power_is_a_setting_chosen_by_cross_validation(groups) -> None:
    """The TF-IDF cosine raised to a power (``sparse_power``; by CV from ``sparse_grid``, by default (1.0,)): the
    plain cosine unless asked; another power changes the scores, and a grid's choice is one of its values."""
    from ipcockpit.navigation.tagger import Settings

    examples = [(t, g) for g, ts in groups.items() for t in ts[:8]]  # 24 examples: the cross-validation runs
    texts = [t for ts in groups.values() for t in ts[8:]]
    gold = [g for g, ts in groups.items() for _ in ts[8:]]
    plain = tag_detailed(texts, examples, encoder=encoder)
    assert plain.sparse_power == 1.0
    grid = tag_detailed(texts, examples, encoder=encoder, settings=Settings(sparse_grid=(1.0, 0.75)))
    assert grid.sparse_power in (1.0, 0.75)
    one = tag_detailed(texts, examples, encoder=encoder, settings=Settings(sparse_power=1.0, dense_weight=1.0))
    smooth = tag_detailed(texts, examples, encoder=encoder, settings=Settings(sparse_power=0.75, dense_weight=1.0))
    assert not np.allclose(one.scores, smooth.scores)
    assert np.mean([a == b for a, b in zip(smooth.branches, gold, strict=True)]) >= 0.7  # chance: 1/3
