"""Patent navigation (专利导航, GB/T 39551): industry definition, technology decomposition, analyses and reports."""

from __future__ import annotations

from typing import Any


def tag(*a: Any, **k: Any) -> Any:
    """:func:`ipcockpit.navigation.tagger.tag` (imported when called)."""
    from ipcockpit.navigation.tagger import tag as _t

    return _t(*a, **k)
