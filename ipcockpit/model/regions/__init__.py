"""Regions: the GB/T 2260 division table, its history and zones (:mod:`.table`), and Chinese address text read into
a division with the reasons where it stops short (:mod:`.reading`). :mod:`ipcockpit.model.addresses` is the entry point.
"""
