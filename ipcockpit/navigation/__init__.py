"""Patent navigation (专利导航, GB/T 39551): industry definitions, technology decomposition and its tagger, the
direction → position → path analyses and their reports (docs/navigation.md). Heavy modules load on first use."""

from __future__ import annotations

from typing import Any


def tag(*args: Any, **kwargs: Any) -> Any:
    """:func:`ipcockpit.navigation.tagger.tag`, imported when first called."""
    from ipcockpit.navigation.tagger import tag as _tag

    return _tag(*args, **kwargs)
