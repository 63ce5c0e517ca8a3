"""ipcockpit: an IP big-data platform for regional IP offices and their enterprises."""

from ipcockpit.startup import without_gc

with without_gc():
    from ipcockpit.app import Cockpit

__all__ = ["Cockpit"]
__version__ = "0.1.0"
