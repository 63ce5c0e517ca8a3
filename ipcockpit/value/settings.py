"""Screening settings: the choices the CNIPA definition leaves open, each with its default and why.

None of these has an official value that the sources found settle (see
../shared/reference/DEFINITIONS.md); they are settings, not constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from ipcockpit.errors import SettingsError

MAINTENANCE_STARTS = ("filing", "grant")


@dataclass(frozen=True)
class ScreenSettings:
    """Settings of the high-value invention patent screening (高价值发明专利筛选).

    - ``maintenance_start``: ``filing`` (default; Chinese term and annuity years run from filing) or
      ``grant``: where the years of condition 3 (维持年限超过10年) count from.
    - ``maintenance_years``: the years a patent must have been maintained (10).
    - ``pledge_threshold``: the pledge-financing amount in CNY that counts as "relatively high"
      (实现较高质押融资金额). No official threshold was found: 10,000,000 CNY is this project's choice.
    - ``strict_sei``: a rule whose keyword column lists products (reading ``product``) counts only when
      one of its words occurs in the title, abstract or claims. Keyword conditions and exclusions apply
      whatever this says (docs/value.md).
    - ``sei_scheme``: the ``ref_ipc_concordance.scheme`` holding the SEI table (``sei2021``, or the
      scheme an official table was loaded under, e.g. ``sei2021_official``).
    - ``as_of``: the date the screening is for (default: today).
    - ``term_years``: the statutory term counted from filing (20 for invention patents).
    """

    maintenance_start: str = "filing"
    maintenance_years: int = 10
    pledge_threshold: float = 10_000_000.0
    strict_sei: bool = False
    sei_scheme: str = "sei2021"
    as_of: date = field(default_factory=date.today)
    term_years: int = 20

    def __post_init__(self) -> None:
        if self.maintenance_start not in MAINTENANCE_STARTS:
            raise SettingsError(
                f"screening setting maintenance_start={self.maintenance_start!r}: use 'filing' or 'grant'"
            )
        if self.maintenance_years <= 0 or self.term_years <= 0:
            raise SettingsError("screening settings maintenance_years and term_years must be positive")
        if self.pledge_threshold < 0:
            raise SettingsError("screening setting pledge_threshold must be 0 or more (CNY)")

    def with_overrides(self, **values: Any) -> ScreenSettings:
        """A copy with the given settings changed; None values are ignored, unknown names raise."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise SettingsError(
                f"unknown screening setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
            )
        changes = {k: v for k, v in values.items() if v is not None}
        if isinstance(changes.get("as_of"), str):
            try:
                changes["as_of"] = date.fromisoformat(changes["as_of"].strip())
            except ValueError as exc:
                raise SettingsError(f"screening setting as_of={changes['as_of']!r}: write a date as YYYY-MM-DD"
                                    ) from exc
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> ScreenSettings:
        """Settings from a mapping such as the ``screen:`` section of a settings file."""
        return cls().with_overrides(**(data or {}))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
