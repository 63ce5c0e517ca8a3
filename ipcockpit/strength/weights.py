"""The strength weights: the packaged ``weights.yaml`` with a user file merged over it, validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ipcockpit.errors import IPCockpitError

WEIGHTS_YAML = Path(__file__).with_name("weights.yaml")
COMPONENTS = ("volume", "high_value", "value_index", "citations", "market_coverage", "grant_ratio", "growth",
              "operations")


class WeightsError(IPCockpitError):
    """A weights file that cannot be read, names an unknown component or gives a weight that is not a number."""


def load_weights(path: str | Path | None = None) -> dict[str, Any]:
    """``{"settings": {...}, "weights": {component: w >= 0}, "source": file}``: the defaults, ``path`` over them."""
    with WEIGHTS_YAML.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    source = str(WEIGHTS_YAML)
    if path is not None:
        try:
            extra = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise WeightsError(f"{path}: cannot read the weights YAML ({exc}); fix the file or its path") from exc
        if not isinstance(extra, dict):
            raise WeightsError(f"{path}: expected a mapping with 'weights:' and/or 'settings:' at the top level")
        for section in ("settings", "weights"):
            data[section].update(extra.get(section) or {})
        source = str(path)
    for name, w in data["weights"].items():
        if name not in COMPONENTS:
            raise WeightsError(f"{source}: weights.{name} is not a component; use one of {', '.join(COMPONENTS)}")
        if isinstance(w, bool) or not isinstance(w, int | float) or w < 0:
            raise WeightsError(f"{source}: weights.{name} = {w!r} is not a non-negative number; write e.g. 1 or 0.5")
    if sum(data["weights"].values()) <= 0:
        raise WeightsError(f"{source}: the weights sum to 0; give at least one component a positive weight")
    years = data["settings"].get("growth_years")
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise WeightsError(f"{source}: settings.growth_years = {years!r}; write a whole number of years, e.g. 3")
    last = data["settings"].get("growth_last_year")
    if last is not None and (isinstance(last, bool) or not isinstance(last, int)):
        raise WeightsError(f"{source}: settings.growth_last_year = {last!r}; write a year, e.g. 2020, or null")
    data["source"] = source
    return data
