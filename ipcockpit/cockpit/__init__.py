"""The cockpit (驾驶舱): a region's plan indicators against baseline and target.

- :mod:`ipcockpit.cockpit.profiles`: region profiles (YAML; Bishan 500120 by default);
- :mod:`ipcockpit.cockpit.reported`: values reported with provenance (one by one, CSV, plan baselines);
- :mod:`ipcockpit.cockpit.context`: the region's attributed records and each year's in-force stock;
- :mod:`ipcockpit.cockpit.computations`: the computed indicators, one value per year each;
- :mod:`ipcockpit.cockpit.indicators`: the cards and :func:`cockpit`, the page's data, and the drill-down;
- :mod:`ipcockpit.cockpit.forecast`: forecast for the target year, progress and status;
- :mod:`ipcockpit.cockpit.reasons`: why a figure is missing or unknown, as catalogue keys with values.

docs/cockpit.md describes the rules.
"""

from ipcockpit.cockpit.profiles import DEFAULT_REGION, ProfileError, Region, list_regions, load_region
from ipcockpit.cockpit.reported import (
    ReportError,
    import_csv,
    list_reported,
    load_plan_baselines,
    report_value,
)

__all__ = [
    "DEFAULT_REGION",
    "ProfileError",
    "Region",
    "ReportError",
    "cockpit",
    "import_csv",
    "indicator_records",
    "list_reported",
    "list_regions",
    "load_plan_baselines",
    "load_region",
    "report_value",
]


def __getattr__(name: str) -> object:
    """cockpit and indicator_records, imported on first use (they import the screening conditions)."""
    if name in ("cockpit", "indicator_records"):
        from ipcockpit.cockpit import indicators

        return getattr(indicators, name)
    raise AttributeError(name)
