"""The storage boundary of the domain code, checked on the source (AST), as docs/architecture.md states it.

- Nothing below the core object sees it: no module under ``ipcockpit/`` but ``app.py``, ``cli/``, ``web/``
  (and the package's lazy ``__init__``) imports ``ipcockpit.app`` or names ``Cockpit`` in a signature.
- One rule for what a domain function takes: the services (``analytics/``, ``auth/``, ``cockpit/``,
  ``store/``) take ``store: Store``; the engines (``value/``, ``search/``) take
  ``con: duckdb.DuckDBPyConnection``. A parameter named ``store`` is always a Store and one named
  ``con`` always a connection; no function accepts "a Cockpit, a Store or a connection".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ipcockpit"
INTERFACES = ("app.py", "__init__.py", "cli/", "web/")
SERVICES = ("analytics/", "auth/", "cockpit/", "store/")
ENGINES = ("value/", "search/")
STORE = "Store"
CONNECTION = "duckdb.DuckDBPyConnection"
#: the helpers that turned "a Cockpit, a Store or a connection" into a connection, and the throw-away
#: holder hybrid search built to call find_document
GONE = {
    "value/screen.py": "connection", "value/indicators.py": "connection", "search/fto.py": "connection",
    "auth/users.py": "_con", "auth/access.py": "_con", "auth/audit.py": "_con",
    "cockpit/reported.py": "_con", "cockpit/indicators.py": "_con", "search/hybrid.py": "_Holder",
}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if not name.startswith(INTERFACES):
            found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


MODULES = _modules()


def _functions(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """Every function with whether it is a module-level public one."""
    top = {id(n) for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    return [(n, id(n) in top and not n.name.startswith("_")) for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    a = fn.args
    return [*a.posonlyargs, *a.args, *a.kwonlyargs, *([a.vararg] if a.vararg else []),
            *([a.kwarg] if a.kwarg else [])]


def _annotation(arg: ast.arg) -> str:
    return ast.unparse(arg.annotation) if arg.annotation is not None else ""


def test_the_domain_modules_are_found() -> None:
    assert any(m.startswith("value/") for m in MODULES) and "search/hybrid.py" in MODULES
    assert not any(m.startswith(("web/", "cli/")) or m == "app.py" for m in MODULES)


def test_nothing_below_the_core_imports_it_or_names_it() -> None:
    for name, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "ipcockpit.app", name
                assert not (node.module == "ipcockpit" and {a.name for a in node.names} & {"app", "Cockpit"}), name
            elif isinstance(node, ast.Import):
                assert all(a.name != "ipcockpit.app" for a in node.names), name
        for fn, _ in _functions(tree):
            signature = [_annotation(a) for a in _params(fn)] + [ast.unparse(fn.returns) if fn.returns else ""]
            assert not any(re.search(r"\bCockpit\b", s) for s in signature), f"{name}: {fn.name}"


def test_the_any_of_them_helpers_are_gone() -> None:
    for name, helper in GONE.items():
        defined = {n.name for n in ast.walk(MODULES[name]) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        assert helper not in defined, f"{name}: {helper}"
    for name, tree in MODULES.items():  # nor a new one: no probing of an argument for .store or .con
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("hasattr", "getattr")):
                probed = node.args[1] if len(node.args) > 1 else None
                assert not (isinstance(probed, ast.Constant) and probed.value in ("store", "con")), \
                    f"{name}:{node.lineno}"


def test_store_and_con_parameters_are_typed() -> None:
    for name, tree in MODULES.items():
        for fn, _ in _functions(tree):
            for arg in _params(fn):
                if arg.arg == "store":
                    assert _annotation(arg) == STORE, f"{name}: {fn.name}({arg.arg}: {_annotation(arg)})"
                elif arg.arg == "con":
                    assert _annotation(arg) == CONNECTION, f"{name}: {fn.name}({arg.arg}: {_annotation(arg)})"
                assert arg.arg != "cockpit", f"{name}: {fn.name}({arg.arg})"


#: storage code that runs inside a migration (before there is a Store) or inside the loader's transaction: it
#: takes the connection
MIGRATION_STEPS = ("store/migrations.py", "store/bundled.py", "store/merge_names.py")


def test_services_take_the_store_and_engines_the_connection() -> None:
    for name, tree in MODULES.items():
        wrong = CONNECTION if name.startswith(SERVICES) else STORE if name.startswith(ENGINES) else None
        if wrong is None or name in MIGRATION_STEPS:
            continue
        for fn, public in _functions(tree):
            if public:
                assert all(_annotation(a) != wrong for a in _params(fn)), f"{name}: {fn.name} takes {wrong}"
