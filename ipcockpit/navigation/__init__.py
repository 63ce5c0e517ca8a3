"""Patent navigation (专利导航, GB/T 39551): industry definitions, decomposition trees, the tagger, analyses and
reports. ``tag`` is imported when first called."""

from __future__ import annotations

from typing import Any


def tag(*args: Any, **kwargs: Any) -> Any:
    """:func:`ipcockpit.navigation.tagger.tag`."""
    from ipcockpit.navigation.tagger import tag as _tag

    return _tag(*args, **kwargs)
