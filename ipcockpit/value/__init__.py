"""High-value invention patent screening: the CNIPA conditions with evidence, the value index, screening."""

from ipcockpit.value.settings import ScreenSettings

__all__ = ["ScreenSettings"]
