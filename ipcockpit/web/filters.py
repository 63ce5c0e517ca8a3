"""Jinja filters of the templates, in the request's language (the template's ``t``):

* ``localtime`` / ``localdate``: a stored time in the zone of the setting ``timezone``, with the zone named
  (:mod:`ipcockpit.localtime`; ``naive="utc"`` for a stored UTC time such as ``reported_at``);
* ``quantity(name)``: a value indicator's raw value with its unit, ``15.9 年``, ``5 个小类``, ``35.2%``:
  counts as whole numbers, years to one decimal, shares as percentages, indices to two decimals (the
  catalogue key ``indicator_unit.<name>`` places the number).

Test ``code_word``: a value that is a machine word (``product``, ``filing_date``, ``B2``): evidence shows it
as code, as the key it belongs to, not as prose of the page's language.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from ipcockpit import localtime
from ipcockpit.cockpit.tables import number

CODE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_\-.:/][A-Za-z0-9]+)*")


def is_code_word(value: Any) -> bool:
    """Whether ``value`` is one machine word (an identifier, a kind code, a path) rather than prose."""
    return isinstance(value, str) and CODE_WORD.fullmatch(value) is not None


#: how each value indicator's raw value is written; an indicator not named here is a count
INDICATOR_FORMS = {
    "market_coverage": "share", "radicalness": "share", "generality": "index", "originality": "index",
    "grant_lag": "years", "remaining_term": "years", "invalidation_survived": "flag", "applicant_type": "type",
}


def quantity_text(t: Any, name: str, raw: Any) -> str:
    """``raw`` of the value indicator ``name`` with its unit, in the language of the translator ``t``."""
    if raw is None or raw == "":
        return "–"
    form = INDICATOR_FORMS.get(name, "count")
    if form == "type":
        return str(t.label("party_type", str(raw)))
    if form == "flag":
        value = str(t("answer.yes") if raw else t("answer.no"))
    else:
        try:
            v = float(raw)
        except (TypeError, ValueError):
            return str(raw)
        if form == "share":
            value = number(v * 100, 1) + "%"
        elif form == "years":
            value = number(v, 1)
        elif form == "index":
            value = number(v, 2)
        else:
            value = number(v, 0) if v == int(v) else number(v, 1)
    key = f"indicator_unit.{name}"
    return str(t(key, value=value)) if t.has(key) else value


def install(templates: Jinja2Templates, tz: tzinfo) -> None:
    """Add the filters to ``templates``; times are shown in ``tz``."""

    def show_time(value: Any, naive: str = "local", seconds: bool = True) -> str:
        return localtime.show(value, tz, naive, seconds)

    def show_date(value: Any, naive: str = "local") -> str:
        return localtime.local_date(value, tz, naive)

    @pass_context
    def quantity(context: Context, raw: Any, name: str) -> str:
        return quantity_text(context["t"], name, raw)

    templates.env.filters.update(localtime=show_time, localdate=show_date, quantity=quantity)
    templates.env.tests["code_word"] = is_code_word
