"""Position (产业定位): the revealed technological advantage (RTA) of a level in each branch against its reference.

For a level X and its reference R (China for Chongqing and the district, the world for China; the world has
none):

    RTA(branch) = (X's documents in the branch / X's branch documents)
                  / (R's documents in the branch / R's branch documents)

where a level's *branch documents* is the sum over the branches of their document counts (a document in two
branches counts in both, so the shares of a level sum to 1). RTA > 1: the branch weighs more in X than in R (an
advantage); < 1: less (a weakness); 0: X has none. Every branch R holds is listed, with the four counts behind it.
"""

from __future__ import annotations

from typing import Any

from ipcockpit.navigation import analyses_ibis as xi
from ipcockpit.navigation import charts
from ipcockpit.navigation.analyses import Context, missing_section, section

REFERENCE = xi.REFERENCE


def sections(ctx: Context, level: str) -> list[dict[str, Any]]:
    sid = "position.rta"
    lv = ctx.levels[level]
    if level == "world":
        return [missing_section(sid, level, "nav.empty.rta_reference")]
    if lv.missing:
        return [missing_section(sid, level, lv.missing, lv.missing_params)]
    reference = REFERENCE[level]
    ref = ctx.levels.get(reference)
    if ref is None:
        return [missing_section(sid, level, "nav.empty.rta_needs", {"reference": reference})]
    sql = xi.sql(xi.rta(ctx.tables, level, reference))
    return [section(sid, level, sql, keys=("branch",),
                    values=("region_documents", "region_total", "reference_documents", "reference_total",
                            "region_share", "reference_share", "rta"), con=ctx.con,
                    provenance=f"nav_members.branch; {level} against {reference}: RTA = (region_documents / "
                               "region_total) / (reference_documents / reference_total), totals = sums over branches",
                    chart=lambda rows: charts.rta_bars(rows, ctx.t),
                    empty=("nav.empty.no_branches", {"documents": lv.documents}))]
