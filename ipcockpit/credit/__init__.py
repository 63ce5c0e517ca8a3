"""Credit tiers (知识产权信用分级分类监管, docs/monitoring.md "Credit tiers").

The office's records about organisations (administrative penalties, court judgments, dishonesty-list entries,
demonstration/advantage lists, checks that found nothing) and the confirmed abnormal-filing cases of the signals
(``signal_cases`` handled + confirmed) are evidence; :mod:`~ipcockpit.credit.rules` maps them to the failure
categories of CNIPA's 知识产权信用管理规定 (2022) with weights and validity windows; :mod:`~ipcockpit.credit.tiers`
computes each organisation's tier A–D (or unknown) from them, deterministically, with the evidence;
:mod:`~ipcockpit.credit.records` adds records (one by one or from a CSV/XLSX file), repairs (信用修复) and the
links of enterprise users to their organisation, each change in the audit log ``credit_audit``;
:mod:`~ipcockpit.credit.service` is what the CLI, the web app and the API call (``Credit(store, settings)``).
"""

from __future__ import annotations

from ipcockpit.errors import IPCockpitError

TIERS = ("A", "B", "C", "D")
UNKNOWN = "unknown"


class CreditError(IPCockpitError):
    """A credit rule, record, repair or link that cannot be accepted; the message names the file, row and field
    (or the parameter) and what to write instead."""


class CreditNotFound(CreditError):
    """No organisation, record or user has that id or name."""


class CreditForbidden(CreditError):
    """The caller may not see or change that organisation's credit (an enterprise user and another's)."""
