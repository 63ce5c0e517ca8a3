"""``python -m ipcockpit.cli``: the same as the ``ipcockpit`` console script."""

from ipcockpit.cli import main

main()
