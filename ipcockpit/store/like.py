"""Text a user gives to match part of a stored value, matched literally by SQL's LIKE and ILIKE.

A LIKE pattern reads ``%`` as any run of characters and ``_`` as any one character; in a user's filter they
are characters of the name meant (real exports hold ``_`` where a character was lost: ``WIÅ_NIEWSKA``),
and a filter ``%`` must not match every name. Rule: a LIKE pattern built from user input is
:func:`contains_pattern` (or :func:`escape_like` inside a pattern of the code's own) and its SQL says
:data:`ESCAPE`.
"""

from __future__ import annotations

#: the clause that follows every LIKE / ILIKE whose pattern holds user input
ESCAPE = "ESCAPE '\\'"


def escape_like(text: str) -> str:
    """``text`` with LIKE's ``%`` and ``_`` (and the escape character ``\\`` itself) escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """The LIKE pattern of the values that contain ``text`` as written: ``%<text escaped>%``."""
    return f"%{escape_like(text)}%"
