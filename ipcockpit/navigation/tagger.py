"""Few-shot technology-branch tagger (技术分解表 标引): learns the analyst's branches from marked examples.

``tag(texts, examples, multi_label=False)``: ``examples`` are ``(text, branch)`` pairs, a text appearing once
per branch it has. The texts to tag take part as unlabelled data: the TF-IDF statistics come from them and the
examples together (and, with propagation on, the neighbour graph).

Method (docs/navigation.md, "Tagger", with the figures of bench/tagger.py):
1. Each text has two views: a sparse TF-IDF view (Latin words and word pairs; character 1-2-grams of
   Chinese, Japanese and Korean script, so one view reads a mixed-language corpus; the IDF comes from the
   examples and the texts to tag together) and a dense view, the project's multilingual sentence encoder
   (multilingual-e5-small, ``ipcockpit.search.embedding``, space ``multi``), which also matches texts across
   languages. Classification codes (IPC/CPC, optional) add a third view: subclass, main group and full code.
2. The kernel between two texts is TF-IDF cosine (+ ``class_weight`` x code cosine) + ``dense_weight`` x
   (e5 cosine) ** ``power`` (the TF-IDF cosine itself may be raised to ``sparse_power``, by CV from
   ``sparse_grid``: 1 by default), the weight chosen from ``dense_grid`` by 3-fold cross-validation on the examples
   (the e5 view helps much across languages, little on fine Chinese subgroups); kernel ridge regression
   (regularised least squares, every branch in one linear solve against the examples) scores each branch.
   Plain numpy: no scikit-learn or scipy at run time.
3. The tree (``parents``, branch -> parent branch, optional): every ancestor of a branch is a column of the
   regression too (an example of a branch is one of each of its ancestors), and a branch's score may add
   ``parent_weight`` x its parent's (weight chosen by CV from ``parent_grid``, 0 included: on the CPC bench
   CV keeps 0; the parent's score enters the second stage as a feature instead).
4. Branch names (``descriptions``, branch -> name, optional): each named branch (and named ancestor) is one
   more training row, its *name path* (its ancestors' names, then its own), weighted ``description_weight`` in
   the regression; a named branch of ``branches`` with no example is learnt from its name alone (note
   ``named_only``).
5. A text takes its best branch; with ``multi_label`` (``rerank_k`` > 0, the default) a second stage rescores
   each text's ``rerank_k`` best branches: logistic regression learnt on the examples' out-of-fold scores,
   with the candidate's score, score / the text's best, 1 / rank, the text's best, log(1 + examples of the
   branch), the parent's score, how often the branch comes with the text's three best among the examples,
   and the text's TF-IDF and e5 similarity to the branch's name path; then every branch that passes the
   decision rule, chosen on the examples by 3-fold cross-validation (micro-F1) among a threshold relative to
   the text's best score, an absolute threshold, and a fixed number of branches.
6. Optional (``Settings.mix`` > 0): label propagation over the kNN graph of the e5 view, examples and texts to
   tag together (transductive, Zhou et al. 2004), mixed into the scores; measured worse on both bench sets
   (docs/navigation.md), so off by default.

Branches with no examples cannot be learnt: ``tag_detailed`` names them in ``Tagging.notes`` (as do branches
with a single example: weak), so a report says so where the branch would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ipcockpit.errors import IPCockpitError

Encoder = Callable[[list[str]], np.ndarray]
Rule = tuple[str, float]  # ("relative", t): keep >= t x best; ("absolute", t): keep >= t; ("top", k)


class TaggerError(IPCockpitError, ValueError):
    """Input the tagger cannot learn from; the message says what to mark or fix."""


@dataclass
class Settings:
    """The method's knobs (defaults chosen on bench/tagger.py; see docs/navigation.md)."""

    lam: float = 1.0  # ridge of the kernel regression
    dense_weight: float | None = None  # weight of the e5 kernel against the TF-IDF cosine; None: by CV
    dense_grid: tuple[float, ...] = (1.0, 3.0, 6.0)  # the weights cross-validation chooses from
    sparse_power: float | None = None  # the TF-IDF cosine raised to this power; None: by CV from sparse_grid
    sparse_grid: tuple[float, ...] = (1.0,)  # (1.0, 0.75) measured: docs/navigation.md
    power: float = 3.0  # embedding kernel: cosine ** power (sign kept)
    tau: float = 0.0  # > 0: Gaussian embedding kernel exp((cos - 1) / tau) instead of the power
    char_n: int = 2  # longest CJK character n-gram of the TF-IDF view
    class_weight: float = 0.5  # scale of the class-code features
    neighbours: int = 10  # k of the kNN graph for label propagation
    alpha: float = 0.8  # label propagation: weight of the neighbours against the examples' own labels
    mix: float = 0.0  # final score = (1 - mix) * regression + mix * propagation
    rule: Rule | None = None  # multi-label decision rule (see ``decide``); None: chosen by cross-validation
    floor: float = 0.0  # below this best score a multi-label text gets no branch
    parent_weight: float | None = None  # with ``parents``: score + this x parent's (squared: grandparent); None: CV
    gate: float = 0.0  # with ``parents``: score x (parent's score clipped to [0, 1]) ** gate (0: off)
    parent_grid: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)  # the parents' weights cross-validation chooses from
    description_weight: float = 1.0  # with ``descriptions``: the weight of a branch's name as a pseudo-example
    second_order: float = 0.0  # > 0: + this x the cosine of the texts' TF-IDF similarity profiles
    seed: int = 0  # the folds of the cross-validation
    folds: int = 3  # cross-validation folds on the examples (the weights, the rule, the second stage)
    rerank_k: int = 10  # multi-label: > 0 rescores each text's k best branches by a learnt second stage
    rerank_l2: float = 1.0  # its ridge
    rerank_names: bool = True  # its features include each candidate's similarity to the branch's name
    rerank_nn: int = 0  # > 0: its features include kNN votes of this many nearest examples
    rerank_views: bool = False  # its features include the scores under the other e5 weights of the grid
    rerank_label_l2: float = 0.0  # > 0: the second stage also learns one intercept per branch, with this ridge
    name_path: bool = True  # a branch's pseudo-example: its ancestors' names, then its own
    describe_unseen: bool = True  # a branch with a name (``descriptions``) but no example is learnt from its name


@dataclass
class Tagging:
    """What ``tag_detailed`` returns: the branches, the scores behind them, and notes per branch."""

    branches: list  # list[str] or, multi-label, list[list[str]]
    labels: list[str]  # the columns of ``scores``
    scores: np.ndarray  # (len(texts), len(labels)), non-negative; higher: more likely the branch
    rule: Rule | None = None  # the multi-label decision rule used
    notes: dict[str, str] = field(default_factory=dict)  # branch -> "no_examples" | "one_example"
    embeddings: np.ndarray | None = None  # dense view of the texts (the queue reuses it)
    dense_weight: float | None = None  # the weight of the e5 kernel used (chosen by CV unless set)
    example_embeddings: np.ndarray | None = None  # dense view of the distinct example texts, in first-seen order
    parent_weight: float | None = None  # with ``parents``: the weight of a parent's score used (CV unless set)
    sparse_power: float | None = None  # the power of the TF-IDF cosine used (CV unless set)


def default_encoder(texts: list[str]) -> np.ndarray:
    """The project's multilingual encoder (shipped weights, no download)."""
    from ipcockpit.search.embedding import embed

    return embed(list(texts), space="multi")


_WORD = re.compile(r"(?u)\b[^\W\d_]{2,}\b")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


@dataclass
class Rows:
    """Sparse rows (CSR arrays, numpy only): ``indices``/``data`` of row i are ``indptr[i]:indptr[i + 1]``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    width: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def part(self, start: int, stop: int) -> Rows:
        lo, hi = self.indptr[start], self.indptr[stop]
        return Rows(self.indptr[start : stop + 1] - lo, self.indices[lo:hi], self.data[lo:hi], self.width)

    def gram(self, other: Rows) -> np.ndarray:
        """Dense ``self @ other.T`` (len(self), len(other)) through ``other``'s posting lists, one row at a time."""
        out = np.zeros((len(self), len(other)))
        if len(other) == 0 or len(self.data) == 0:
            return out
        order = np.argsort(other.indices, kind="stable")
        post_doc = np.repeat(np.arange(len(other)), np.diff(other.indptr))[order]
        post_val = other.data[order]
        starts = np.searchsorted(other.indices[order], np.arange(self.width + 1))
        for r in range(len(self)):
            lo, hi = self.indptr[r], self.indptr[r + 1]
            feats, vals = self.indices[lo:hi], self.data[lo:hi]
            first, lengths = starts[feats], starts[feats + 1] - starts[feats]
            if lengths.sum() == 0:
                continue
            offsets = np.repeat(first - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
            idx = offsets + np.arange(lengths.sum())
            out[r] = np.bincount(post_doc[idx], np.repeat(vals, lengths) * post_val[idx], minlength=len(other))
        return out


def _tokens(text: str, char_n: int) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    out = [f"w:{w}" for w in words] + [f"w:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for run in _CJK_RUN.findall(text):
        for n in range(1, char_n + 1):
            out += [f"c:{run[i : i + n]}" for i in range(len(run) - n + 1)]
    return out


def tfidf_rows(docs: Sequence[Sequence[str]], min_df: int = 2, max_features: int = 200_000,
               sublinear: bool = True) -> Rows:
    """TF-IDF rows of token lists (smooth idf, ``1 + ln tf`` when sublinear), L2-unit; tokens in fewer than
    ``min_df`` documents dropped, at most ``max_features`` kept (the most frequent)."""
    from collections import Counter

    counts = [Counter(d) for d in docs]
    df = Counter(t for c in counts for t in c)
    kept = [t for t, n in df.items() if n >= min_df]
    if len(kept) > max_features:
        kept = sorted(kept, key=lambda t: (-df[t], t))[:max_features]
    col = {t: j for j, t in enumerate(kept)}
    idf = np.log((1 + len(docs)) / (1 + np.array([df[t] for t in kept], dtype=np.float64))) + 1
    indptr, indices, data = [0], [], []
    for c in counts:
        js = [col[t] for t in c if t in col]
        tf = np.array([c[t] for t in c if t in col], dtype=np.float64)
        v = (1 + np.log(tf) if sublinear else tf) * idf[js] if js else tf
        norm = np.linalg.norm(v) if len(v) else 1.0
        indices += js
        data += (v / (norm or 1.0)).tolist()
        indptr.append(len(indices))
    return Rows(np.array(indptr), np.array(indices, dtype=np.int64), np.array(data), len(kept))


def sparse_view(train: Sequence[str], other: Sequence[str] = (), char_n: int = 2) -> tuple[Rows, Rows]:
    """TF-IDF of Latin words (1-2) and CJK characters (1-``char_n``), fitted on ``train`` + ``other``; rows L2-unit."""
    m = tfidf_rows([_tokens(t, char_n) for t in list(train) + list(other)])
    return m.part(0, len(train)), m.part(len(train), len(m))


def class_view(codes: Sequence[Sequence[str]]) -> Rows:
    """Rows of classification codes: subclass (G06F), main group (G06F16) and full code, L2-unit."""

    def keys(cs: Sequence[str]) -> list[str]:
        out: list[str] = []
        for c in cs:
            c = re.sub(r"\s+", "", str(c)).upper()
            if c:
                out += [f"s:{c[:4]}", f"m:{c.split('/')[0]}", f"c:{c}"]
        return out

    return tfidf_rows([keys(cs) for cs in codes], min_df=1, sublinear=False)


def propagate(dense: np.ndarray, y: np.ndarray, k: int = 10, alpha: float = 0.8, iters: int = 20) -> np.ndarray:
    """Label spreading over the kNN cosine graph (each edge both ways). ``dense`` (n, d) unit rows; ``y`` (n, L)
    with the examples' labels and zero rows for the unlabelled. Returns (n, L) scores, rows scaled to max 1."""
    n = dense.shape[0]
    k = max(1, min(k, n - 1))
    if n < 2:
        return y.astype(np.float64)
    nbr = np.zeros((n, k), dtype=np.int64)
    for s in range(0, n, 2048):
        sim = dense[s : s + 2048] @ dense.T
        sim[np.arange(sim.shape[0]), s + np.arange(sim.shape[0])] = -np.inf
        nbr[s : s + 2048] = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(n), k)
    cols = nbr.ravel()
    w = np.clip(np.einsum("ij,ij->i", dense[rows], dense[cols]), 0, None)
    rows, cols, w = np.concatenate([rows, cols]), np.concatenate([cols, rows]), np.concatenate([w, w])
    deg = np.bincount(rows, w, minlength=n)
    w = w / np.sqrt(np.clip(deg[rows] * deg[cols], 1e-12, None))
    f = y.astype(np.float64).copy()
    for _ in range(iters):
        spread = np.zeros_like(f)
        np.add.at(spread, rows, w[:, None] * f[cols])
        f = alpha * spread + (1 - alpha) * y
    top = f.max(axis=1, keepdims=True)
    return f / np.clip(top, 1e-12, None)


def _dense_kernel(cos: np.ndarray, power: float, tau: float = 0.0) -> np.ndarray:
    if tau > 0:  # a Gaussian kernel on the unit sphere: exp(-|a - b|^2 / (2 tau)) = exp((cos - 1) / tau)
        return np.exp((cos - 1) / tau)
    return cos if power == 1 else np.sign(cos) * np.abs(cos) ** power


def ridge_fit(k_train: np.ndarray, y: np.ndarray, lam: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Regularised least-squares classification in the dual, every branch in one solve: coefficients (n, L)
    such that ``k_test @ coef`` scores the branches; ``k_train`` (n, n) kernel, ``y`` 1 for the branch, 0 else;
    ``weights`` per training row (the squared error of row i counts ``weights[i]`` times: ridge lam / w_i)."""
    ridge = lam * (np.ones(k_train.shape[0]) if weights is None else 1 / np.asarray(weights, dtype=np.float64))
    return np.linalg.solve(k_train + np.diag(ridge), np.asarray(y, dtype=np.float64))


def cut(row: np.ndarray, rule: Rule) -> float:
    """The score a branch of this text must reach under ``rule`` (the best branch is always kept)."""
    kind, v = rule
    if kind == "relative":
        return float(v * row.max())
    if kind == "absolute":
        return float(v)
    k = int(v)
    return float(np.sort(row)[-k]) if k <= len(row) else float(row.min())


def decide(scores: np.ndarray, labels: list[str], multi_label: bool, rule: Rule = ("relative", 0.5),
           floor: float = 0.0) -> list:
    """Branches from scores: the best one, or (multi-label) the best and every one that reaches the rule's cut,
    best first; a multi-label text whose best score is at or below ``floor`` gets none."""
    if scores.shape[1] == 0:
        return [[] for _ in range(scores.shape[0])] if multi_label else [None] * scores.shape[0]
    if not multi_label:
        return [labels[i] for i in scores.argmax(axis=1)]
    out = []
    for row in scores:
        top = row.max()
        if top <= floor:
            out.append([])
            continue
        keep = np.flatnonzero(row >= min(top, cut(row, rule)))
        out.append([labels[i] for i in keep[np.argsort(-row[keep])]])
    return out


def micro_f1(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> float:
    tp = fp = fn = 0
    for p, g in zip(pred, gold, strict=True):
        ps, gs = set(p), set(g)
        tp += len(ps & gs)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return 2 * tp / max(1, 2 * tp + fp + fn)


def choose_rule(oof: np.ndarray, y: np.ndarray, labels: list[str], floor: float = 0.0) -> Rule:
    """The multi-label rule with the best micro-F1 on out-of-fold scores of the examples: a relative threshold
    (0.05 .. 1), an absolute one (quantiles of the scores) or a fixed number of branches (1 .. 6)."""
    gold = [[labels[j] for j in np.flatnonzero(r)] for r in y]
    rules: list[Rule] = [("relative", round(float(t), 2)) for t in np.arange(0.05, 1.0001, 0.05)]
    pos = oof[oof > 0]
    if len(pos):
        rules += [("absolute", float(q)) for q in np.unique(np.quantile(pos, np.linspace(0.5, 0.999, 30)))]
    rules += [("top", float(k)) for k in range(1, 7)]
    best, best_rule = -1.0, rules[0]
    for rule in rules:
        f = micro_f1(decide(oof, labels, True, rule, floor), gold)
        if f > best + 1e-9:
            best, best_rule = f, rule
    return best_rule


def _check(texts: Sequence[str], examples: Sequence[tuple[str, str]], classes, example_classes) -> None:
    if not examples:
        raise TaggerError("no examples: mark at least one document for each branch (one example per "
                          "(text, branch) pair) before tagging")
    for i, ex in enumerate(examples):
        if not (isinstance(ex, tuple | list) and len(ex) == 2):
            raise TaggerError(f"examples[{i}] is {ex!r}: give (text, branch) pairs")
        if not isinstance(ex[0], str) or not ex[0].strip():
            raise TaggerError(f"examples[{i}]: the text is empty; give the document's text (title + abstract)")
        if not isinstance(ex[1], str) or not ex[1].strip():
            raise TaggerError(f"examples[{i}]: the branch is empty; give the branch id of the tree")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TaggerError(f"texts[{i}] is {type(t).__name__}, not a string")
    if classes is not None and len(classes) != len(texts):
        raise TaggerError(f"classes: {len(classes)} given for {len(texts)} texts; give one list of codes per "
                          "text (an empty list when a text has none)")
    if example_classes is not None and not isinstance(example_classes, dict):
        raise TaggerError("example_classes: give a dict from an example's text to its list of codes")


def tag_detailed(
    texts: Sequence[str],
    examples: Sequence[tuple[str, str]],
    multi_label: bool = False,
    classes: Sequence[Sequence[str]] | None = None,
    *,
    example_classes: dict[str, Sequence[str]] | None = None,
    branches: Sequence[str] | None = None,
    parents: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    encoder: Encoder | None = None,
    settings: Settings | None = None,
) -> Tagging:
    """Tag ``texts`` with the branches learnt from ``examples``; see the module text.

    ``classes``: optional IPC/CPC codes per text; ``example_classes``: the codes of example texts (by text;
    a text also in ``texts`` takes its codes from ``classes``). ``branches``: every branch of the tree, so
    that those without examples are named in ``notes`` ("no_examples"; "one_example" for a single one;
    "named_only" for one given from its name alone). ``parents``: branch -> parent branch (the decomposition
    tree); ``descriptions``: branch -> its name (name_zh / name_en), see the module text.
    ``encoder``: texts -> unit vectors (default the project's multilingual encoder)."""
    st = settings or Settings()
    texts = list(texts)
    _check(texts, examples, classes, example_classes)
    ex_texts: list[str] = []
    row_of: dict[str, int] = {}
    pairs: list[tuple[int, str]] = []
    for text, branch in examples:
        if text not in row_of:
            row_of[text] = len(ex_texts)
            ex_texts.append(text)
        pairs.append((row_of[text], branch.strip()))
    labels = sorted({b for _, b in pairs})
    n_seen = len(labels)
    counts = np.bincount([labels.index(b) for _, b in pairs], minlength=len(labels)) if pairs else []
    notes = {b: "one_example" for b, n in zip(labels, counts, strict=True) if n == 1}
    named = {str(b).strip(): d.strip() for b, d in (descriptions or {}).items() if isinstance(d, str) and d.strip()}
    if st.description_weight <= 0:
        named = {}
    # a branch of the tree with a name but no example: learnt from its name alone (when describe_unseen)
    if st.describe_unseen:
        labels += sorted(b for b in (branches if branches is not None else named) if b in named and b not in labels)
    for b in branches or ():
        if b not in labels[:n_seen]:
            notes[b] = "named_only" if b in labels else "no_examples"
    per_row = np.bincount([r for r, _ in set(pairs)], minlength=len(ex_texts))
    if not multi_label and (per_row > 1).any():
        many = ex_texts[int(np.flatnonzero(per_row > 1)[0])][:40]
        raise TaggerError(f"the example text {many!r}… has several branches: pass multi_label=True, or give "
                          "each text one branch")
    if multi_label and len(labels) == 1:
        raise TaggerError(f"multi_label with one branch ({labels[0]!r}): every example is positive and nothing "
                          "says what is not in it; mark examples of at least one other branch")
    tree = Tree(labels, parents or {})
    if not texts:
        return Tagging([], labels, np.zeros((0, len(labels))), None, notes)
    # the branches' names as pseudo-examples (their ancestors' too), weighted down in the regression
    pseudo = [(tree.name_path(b, named) if st.name_path else named[b], b) for b in tree.columns if b in named]
    n_ex, n_ps = len(ex_texts), len(pseudo)
    y = np.zeros((n_ex + n_ps, len(tree.columns)), dtype=np.int8)
    for r, b in pairs + [(n_ex + i, b) for i, (_, b) in enumerate(pseudo)]:
        y[r, tree.up[b]] = 1
    row_weight = np.r_[np.ones(n_ex), np.full(n_ps, st.description_weight)]
    train_texts = ex_texts + [t for t, _ in pseudo]
    n_tr = len(train_texts)

    enc = encoder or default_encoder
    dense = np.asarray(enc(train_texts + texts), dtype=np.float64)
    dense /= np.clip(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12, None)
    xs_tr, xs_te = sparse_view(train_texts, texts, int(st.char_n))
    d_tr, d_te = dense[:n_tr], dense[n_tr:]
    # the kernel against the examples: sparse cosine (+ class codes) + weighted dense (cosine ** power)
    s_plain = s_tr = xs_tr.gram(xs_tr)
    c_tr = c_te = None
    if classes is not None or example_classes is not None:
        by_text = dict(example_classes or {})
        if classes is not None:
            by_text.update({t: c for t, c in zip(texts, classes, strict=True) if c})
        text_codes = [list(c or []) for c in classes] if classes is not None else [[] for _ in texts]
        cv = class_view([list(by_text.get(t, [])) for t in ex_texts] + [[] for _ in pseudo] + text_codes)
        c_tr, c_te = cv.part(0, n_tr), cv.part(n_tr, len(cv))
        s_tr = s_tr + st.class_weight * c_tr.gram(c_tr)
    e_tr = _dense_kernel(d_tr @ d_tr.T, st.power, st.tau)
    n_u = min(len(texts), 2000)

    def second(rows: Rows) -> np.ndarray:
        """Rows' TF-IDF similarities to the examples and up to 2,000 texts, L2-unit (two texts are alike when
        they are like the same documents)."""
        z = np.hstack([rows.gram(xs_tr), rows.gram(xs_te.part(0, n_u))])
        return z / np.clip(np.linalg.norm(z, axis=1, keepdims=True), 1e-12, None)

    z_tr = second(xs_tr) if st.second_order > 0 else None
    if z_tr is not None:
        s_tr = s_tr + st.second_order * (z_tr @ z_tr.T)

    s_extra = s_tr - s_plain  # the codes' (and second-order) part of the kernel
    s_of: dict[float, np.ndarray] = {1.0: s_tr}

    def sparse_kernel(p: float) -> np.ndarray:
        """The examples' kernel with the TF-IDF cosine raised to ``p``."""
        if p not in s_of:
            s_of[p] = s_plain ** p + s_extra
        return s_of[p]

    def text_kernel(w: float, a: int, b: int, p: float = 1.0) -> np.ndarray:
        """The kernel of texts a:b against every example (in blocks: 50,000 texts x 2,000 examples would
        otherwise hold 800 MB)."""
        k = xs_te.part(a, b).gram(xs_tr) ** p + w * _dense_kernel(d_te[a:b] @ d_tr.T, st.power, st.tau)
        if z_tr is not None:
            k += st.second_order * (second(xs_te.part(a, b)) @ z_tr.T)
        if c_te is not None:
            k += st.class_weight * c_te.part(a, b).gram(c_tr)
        return k

    def raw_scores(w: float, tr: np.ndarray, te_rows: np.ndarray | None, p: float = 1.0) -> np.ndarray:
        """Regression scores of every column (branches and their ancestors) for test rows (texts when te_rows
        is None, else held-out example rows), dense weight ``w``."""
        s_p = sparse_kernel(p)
        k = s_p[np.ix_(tr, tr)] + w * e_tr[np.ix_(tr, tr)]
        coef = ridge_fit(k, y[tr], st.lam, row_weight[tr])
        if te_rows is None:
            reg = np.vstack([text_kernel(w, a, min(a + 4096, len(texts)), p) @ coef
                             for a in range(0, len(texts), 4096)])
        else:
            reg = (s_p[np.ix_(te_rows, tr)] + w * e_tr[np.ix_(te_rows, tr)]) @ coef
        if st.mix <= 0:
            return reg
        yy = np.zeros((n_tr + len(texts), y.shape[1]))
        yy[tr] = y[tr]
        prop = propagate(dense, yy, st.neighbours, st.alpha)
        prop = prop[n_tr:] if te_rows is None else prop[te_rows]
        return (1 - st.mix) * np.clip(reg, 0, None) + st.mix * prop

    # the dense weight, the parents' weight (unless set) and the multi-label rule: 3-fold cross-validation on
    # the examples (the branches' names stay in every training fold)
    weights = [st.dense_weight] if st.dense_weight is not None else list(st.dense_grid)
    spows = [st.sparse_power] if st.sparse_power is not None else list(st.sparse_grid)
    weights = [(w, p) for p in spows for w in weights]  # (e5 weight, TF-IDF power)
    smooths = [0.0] if not tree.deep else [st.parent_weight] if st.parent_weight is not None else list(st.parent_grid)
    rule, weight, smooth = st.rule, weights[0], smooths[0]
    best_raw, raws = None, {}
    y_lab = y[:n_ex, : len(labels)]
    if n_ex >= 20 and (len(weights) > 1 or len(smooths) > 1 or (multi_label and rule is None)):
        folds = np.arange(n_ex) % st.folds
        np.random.default_rng(st.seed).shuffle(folds)
        gold = [[labels[j] for j in np.flatnonzero(r)] for r in y_lab]
        best = -1.0
        for w in weights:
            raw = raws[w] = np.zeros((n_ex, y.shape[1]))
            for f in range(st.folds):
                te = np.flatnonzero(folds == f)
                raw[te] = raw_scores(w[0], np.r_[np.flatnonzero(folds != f), np.arange(n_ex, n_tr)], te, w[1])
            for pw in smooths:
                oof = tree.smooth(raw, pw, st.gate)
                r = (st.rule or choose_rule(oof, y_lab, labels, st.floor)) if multi_label else None
                got = decide(oof, labels, multi_label, r or ("relative", 0.5), st.floor)
                f1 = micro_f1(got if multi_label else [[g] for g in got], gold)
                if f1 > best + 1e-9:
                    best, weight, smooth, rule, best_raw = f1, w, pw, r, raw
    if multi_label and rule is None:
        rule = ("relative", 0.5)
    (weight, spow) = weight
    raw = raw_scores(weight, np.arange(n_tr), None, spow)
    scores = tree.smooth(raw, smooth, st.gate)
    if multi_label and st.rerank_k > 0 and best_raw is not None:
        # a second stage learnt on the out-of-fold scores: is this candidate branch of the text right?
        pcol = tree.parent_columns()
        others = [w for w in raws if w != (weight, spow)] if st.rerank_views else []

        ps_of = np.array([n_ex + next((i for i, (_, b) in enumerate(pseudo) if b == lab), -n_ex - 1)
                          for lab in labels])  # each label's name row (-1: none)

        def name_sims(k_sparse: np.ndarray, k_dense: np.ndarray) -> list[np.ndarray]:
            """(n, L) similarity of each row to each label's name: TF-IDF cosine and e5 cosine (0: no name)."""
            has = ps_of >= 0
            return [np.where(has, k[:, np.clip(ps_of, 0, None)], 0.0) for k in (k_sparse, k_dense)]

        def neighbours(k_rows: np.ndarray, tr: np.ndarray) -> list[np.ndarray]:
            """(n, L) kNN evidence from each row's ``rerank_nn`` nearest training rows (kernel ``k_rows`` against
            rows ``tr``): the summed kernel of those with the branch, and the highest."""
            m = min(st.rerank_nn, len(tr))
            nbr = np.argpartition(-k_rows, m - 1, axis=1)[:, :m]
            sims = np.clip(np.take_along_axis(k_rows, nbr, axis=1), 0, None)
            yl = y[tr][:, : len(labels)].astype(np.float64)
            vote, top = np.zeros((len(k_rows), len(labels))), np.zeros((len(k_rows), len(labels)))
            for t in range(m):
                v = sims[:, t, None] * yl[nbr[:, t]]
                vote += v
                np.maximum(top, v, out=top)
            return [vote, top]

        def views_of(rs: dict, sel, tr: np.ndarray) -> list[np.ndarray]:
            out = [tree.smooth(rs[w][sel], smooth, st.gate) for w in others]
            if st.rerank_names and pseudo:
                if isinstance(sel, slice):
                    out += name_sims(xs_te.gram(xs_tr), d_te @ d_tr.T)
                else:
                    out += name_sims(s_plain[sel], d_tr[sel] @ d_tr.T)
            if st.rerank_nn > 0:
                if isinstance(sel, slice):
                    k_rows = np.vstack([text_kernel(weight, a, min(a + 4096, len(texts)), spow)
                                        for a in range(0, len(texts), 4096)])
                else:
                    k_rows = sparse_kernel(spow)[np.ix_(sel, tr)] + weight * e_tr[np.ix_(sel, tr)]
                out += neighbours(k_rows, tr)
            return out

        xs, ts, cs = [], [], []
        for f in range(st.folds):
            te, trf = np.flatnonzero(folds == f), np.flatnonzero(folds != f)
            s_f = tree.smooth(best_raw[te], smooth, st.gate)
            rows, cols, x = pair_features(s_f, _parent_scores(best_raw[te], pcol), y_lab[trf], st.rerank_k,
                                          views_of(raws, te, np.r_[trf, np.arange(n_ex, n_tr)]))
            xs.append(x)
            ts.append(y_lab[te][rows, cols])
            cs.append(cols)
        model = fit_logistic(np.vstack(xs), np.concatenate(ts).astype(np.float64), np.concatenate(cs),
                             st.rerank_l2, len(labels) if st.rerank_label_l2 > 0 else 0, st.rerank_label_l2)
        oof = np.zeros(y_lab.shape)
        for f in range(st.folds):
            te, trf = np.flatnonzero(folds == f), np.flatnonzero(folds != f)
            oof[te] = rescore(tree.smooth(best_raw[te], smooth, st.gate), _parent_scores(best_raw[te], pcol),
                              y_lab[trf], model, st.rerank_k, views_of(raws, te, np.r_[trf, np.arange(n_ex, n_tr)]))
        full = {w: raw_scores(w[0], np.arange(n_tr), None, w[1]) for w in others}
        scores = rescore(scores, _parent_scores(raw, pcol), y_lab, model, st.rerank_k,
                         views_of(full, slice(None), np.arange(n_tr)))
        rule = st.rule or choose_rule(oof, y_lab, labels, st.floor)
    out = decide(scores, labels, multi_label, rule or ("relative", 0.5), st.floor)
    return Tagging(out, labels, scores, rule if multi_label else None, notes, dense[n_tr:], weight,
                   dense[:n_ex], smooth if tree.deep else None, spow)


def pair_features(s: np.ndarray, parent: np.ndarray | None, y_train: np.ndarray, k: int,
                  views: Sequence[np.ndarray] = ()) -> tuple:
    """``views``: more (n, L) matrices whose value at each candidate is a feature (as is, and over its row's
    best)."""
    """Features of each text's ``k`` best branches (rows i, columns j): its score, score / the text's best,
    1 / rank, the text's best, log(1 + examples of the branch), the parent's score, and how often the branch
    comes with the text's three best others among the examples (co-occurrence, P(j | m) summed)."""
    n, L = s.shape
    k = min(k, L)
    top = np.argsort(-s, axis=1)[:, :k]
    rows = np.repeat(np.arange(n), k)
    cols = top.ravel()
    sc = s[rows, cols]
    best = s.max(axis=1)[rows]
    count = y_train.sum(axis=0).astype(np.float64)
    co = (y_train.T.astype(np.float64) @ y_train) / np.clip(count, 1, None)[:, None]  # co[m, j] = P(j | m)
    np.fill_diagonal(co, 0)
    lead = top[:, : min(3, k)]
    cooc = co[lead].sum(axis=1)[np.arange(n)[:, None], top].ravel()  # (n, k): sum over the three best m
    par = parent[rows, cols] if parent is not None else np.zeros_like(sc)
    x = np.column_stack([sc, sc / np.clip(best, 1e-9, None), 1 / (1 + np.tile(np.arange(k), n)), best,
                         np.log1p(count[cols]), par, cooc, sc * np.log1p(count[cols])]
                        + [v[rows, cols] for v in views] + [v[rows, cols] / np.clip(v.max(axis=1)[rows], 1e-9, None)
                                                            for v in views])
    return rows, cols, x


def _parent_scores(raw: np.ndarray, pcol: np.ndarray) -> np.ndarray | None:
    """(n, L): the raw score of each label's parent column (0 without a parent); None when no label has one."""
    if (pcol < 0).all():
        return None
    return np.where(pcol >= 0, raw[:, np.clip(pcol, 0, None)], 0.0)


def _design(x: np.ndarray, cols: np.ndarray, mu: np.ndarray, sd: np.ndarray, n_labels: int) -> np.ndarray:
    z = np.column_stack([(x - mu) / sd, np.ones(len(x))])
    if n_labels:  # one intercept per branch (its own threshold), shrunk towards the shared one
        z = np.column_stack([z, np.eye(n_labels)[cols]])
    return z


def fit_logistic(x: np.ndarray, t: np.ndarray, cols: np.ndarray, l2: float = 1.0, n_labels: int = 0,
                 l2_label: float = 10.0, iters: int = 25) -> tuple:
    """L2 logistic regression by Newton steps on standardised features (and, with ``n_labels``, a per-branch
    intercept with ridge ``l2_label``): (mean, scale, coefficients, n_labels)."""
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = _design(x, cols, mu, sd, n_labels)
    pen = np.r_[np.full(x.shape[1], l2), 1e-6, np.full(n_labels, l2_label)]
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-z @ w))
        g = z.T @ (p - t) + pen * w
        h = (z * (p * (1 - p))[:, None]).T @ z + np.diag(pen)
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return mu, sd, w, n_labels


def rescore(s: np.ndarray, parent: np.ndarray | None, y_train: np.ndarray, model: tuple, k: int,
            views: Sequence[np.ndarray] = ()) -> np.ndarray:
    """The probability that each of a text's ``k`` best branches is right (0 for the others)."""
    rows, cols, x = pair_features(s, parent, y_train, k, views)
    mu, sd, w, n_labels = model
    out = np.zeros(s.shape)
    out[rows, cols] = 1 / (1 + np.exp(-(_design(x, cols, mu, sd, n_labels) @ w)))
    return out

class Tree:
    """The branches to score (``labels``) and their ancestors through ``parents`` (branch -> parent branch):
    ``columns`` = the labels, then every ancestor that is not one; ``up[b]`` = the columns of b and its
    ancestors (an example of a branch is an example of each of its ancestors)."""

    def __init__(self, labels: list[str], parents: dict[str, str]) -> None:
        self.labels = list(labels)
        self.columns = list(labels)
        self.chain: dict[str, list[str]] = {}
        i = 0
        while i < len(self.columns):  # the columns grow by the ancestors met on the way
            b = self.columns[i]
            seen, p, line = {b}, parents.get(b), []
            while p is not None and p not in seen:  # a cycle ends the line
                seen.add(p)
                line.append(p)
                p = parents.get(p)
            self.chain[b] = line
            self.columns += [a for a in line if a not in self.columns]
            i += 1
        self._col = {b: j for j, b in enumerate(self.columns)}
        self.up = {b: [self._col[b]] + [self._col[a] for a in self.chain[b]] for b in self.columns}
        self.deep = any(self.chain[b] for b in self.labels)

    def name_path(self, b: str, names: dict[str, str]) -> str:
        """The names of b's ancestors (root first) and its own, joined: a branch's name read in its tree."""
        return "；".join(names[a] for a in [*reversed(self.chain[b]), b] if a in names)

    def parent_columns(self) -> np.ndarray:
        """The column of each label's parent (-1: none)."""
        return np.array([self._col[self.chain[b][0]] if self.chain[b] else -1 for b in self.labels], dtype=np.int64)

    def smooth(self, raw: np.ndarray, weight: float, gate: float = 0.0) -> np.ndarray:
        """Scores of the labels: each one's own + ``weight`` x its parent's + ``weight``² x its grandparent's
        ...; with ``gate`` > 0 also times (the parent's score, clipped to [0, 1]) ** gate; clipped at 0."""
        out = raw[:, : len(self.labels)].copy()
        if weight or gate:
            for j, b in enumerate(self.labels):
                for k, a in enumerate(self.chain[b]):
                    if weight:
                        out[:, j] += weight ** (k + 1) * raw[:, self._col[a]]
                if gate and self.chain[b]:
                    out[:, j] = np.clip(out[:, j], 0, None) * np.clip(raw[:, self._col[self.chain[b][0]]], 0, 1) ** gate
        return np.clip(out, 0, None)


def tag(
    texts: list[str],
    examples: list[tuple[str, str]],
    multi_label: bool = False,
    classes: list[list[str]] | None = None,
    **kwargs,
) -> list:
    """One branch per text, or with ``multi_label=True`` a list of branches per text (possibly empty).

    Empty ``texts`` gives ``[]``; no examples raise :class:`TaggerError`. Keyword options as in
    :func:`tag_detailed` (``example_classes``, ``branches``, ``parents``, ``descriptions``, ``encoder``,
    ``settings``)."""
    return tag_detailed(texts, examples, multi_label, classes, **kwargs).branches
