"""Patent navigation (专利导航, GB/T 39551): industry definition, technology decomposition, analyses, reports."""

from __future__ import annotations


def tag(*a, **k):
    """``ipcockpit.navigation.tagger.tag``, imported on first use."""
    from ipcockpit.navigation.tagger import tag as _t

    return _t(*a, **k)
