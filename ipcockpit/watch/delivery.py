"""Delivery of alerts by e-mail (SMTP) and webhook (JSON POST signed with HMAC-SHA256), at once or as digests.

A list's ``digest`` decides when its pending deliveries go out: ``immediate`` on every run, one message per
alert; ``daily`` / ``weekly`` once a day / week after its last digest (``watch_lists.last_digest_at``), one
message holding every pending alert. A delivery is marked ``sent`` only after the server accepted it; a failure
is recorded (``failed``, the error, the attempts) and the next run tries it again (a digest too, without waiting
for its day), so an alert is never lost; a sent delivery is never sent again. Each message names its batch
(``Message-ID`` and the webhook's ``X-IPCockpit-Delivery``) so that a receiver can tell a retry of a message it
already has.

Settings (``watch:`` in the settings file, docs/settings.md): ``smtp_host``, ``smtp_port`` (25), ``smtp_from``,
``smtp_tls`` (none | starttls | ssl), ``smtp_user`` and the password in ``IPCOCKPIT_SMTP_PASSWORD``,
``webhook_timeout`` (seconds, 10).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from ipcockpit import i18n

if TYPE_CHECKING:
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

PERIODS = {"immediate": timedelta(0), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
SIGNATURE_HEADER = "X-IPCockpit-Signature"
DELIVERY_HEADER = "X-IPCockpit-Delivery"


@dataclass(frozen=True)
class WatchSettings:
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "ipcockpit@localhost"
    smtp_tls: str = "none"
    smtp_user: str = ""
    smtp_password: str = ""
    webhook_timeout: float = 10.0
    expiry_days: int = 90

    @classmethod
    def of(cls, settings: Settings) -> WatchSettings:
        raw = dict(getattr(settings, "watch", None) or {})
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        ws = cls(**known)
        if ws.smtp_tls not in ("none", "starttls", "ssl"):
            from ipcockpit.errors import SettingsError

            raise SettingsError(f"setting watch.smtp_tls={ws.smtp_tls!r}: use none, starttls or ssl")
        password = os.environ.get("IPCOCKPIT_SMTP_PASSWORD") or ws.smtp_password
        return cls(**{**known, "smtp_password": password, "smtp_port": int(ws.smtp_port),
                      "webhook_timeout": float(ws.webhook_timeout), "expiry_days": int(ws.expiry_days)})


#: the params a sentence may name (a similar mark's: the protected mark, the filing, its applicant, the reasons)
_MESSAGE_PARAMS = ("doc_id", "date", "counterparty", "title", "days", "protected", "mark", "mark_id", "applicant",
                   "why", "filing_date", "list")


def message(t: i18n.Translator, alert: dict[str, Any]) -> str:
    """An alert's sentence in ``t``'s language."""
    params = alert["params"] if isinstance(alert["params"], dict) else json.loads(alert["params"] or "{}")
    text = t(alert["message_key"], **{k: ("" if v is None else v) for k, v in params.items()
                                      if k in _MESSAGE_PARAMS})
    if alert["kind"] == "transfer" and "leaves_region" in params:
        leaves = params["leaves_region"]
        text += " " + t("watch.leaves_region." + {True: "yes", False: "no", None: "unknown"}[leaves])
    return text


def link(settings: Settings, alert: dict[str, Any]) -> str:
    """The page of an alert's evidence: the patent, the mark (a similar filing), else the organisation."""
    base = (settings.base_url or "").rstrip("/")
    params = alert.get("params")
    params = params if isinstance(params, dict) else json.loads(params or "{}")
    if alert.get("kind") == "similar_mark" and params.get("mark_id"):
        return f"{base}/marks/mark/{params['mark_id']}"
    if alert.get("doc_id"):
        return f"{base}/patent/{alert['doc_id']}"
    return f"{base}/organisation/{alert.get('object_value') or ''}"


def _due(store: Store, now: datetime) -> list[dict[str, Any]]:
    """The pending or failed deliveries whose list's digest is due, with their alerts and lists."""
    rows = store.query(
        "SELECT d.alert_id, d.channel, d.attempts, a.list_id, a.kind, a.doc_id, a.object_kind, a.object_value, "
        "a.occurred, a.message_key, a.params, a.evidence, l.name AS list_name, l.owner, l.digest, l.email, "
        "l.webhook_url, l.webhook_secret, l.last_digest_at FROM watch_deliveries d "
        "JOIN watch_alerts a USING (alert_id) JOIN watch_lists l ON l.list_id = a.list_id "
        "WHERE d.status IN ('pending', 'failed') ORDER BY a.list_id, d.channel, d.alert_id")
    due = []
    for r in rows:
        period = PERIODS[r["digest"]]
        # a digest waits for its day or week; a failed delivery is retried by the next run
        if period and r["attempts"] == 0 and r["last_digest_at"] is not None and now - r["last_digest_at"] < period:
            continue
        r["params"] = json.loads(r["params"] or "{}")
        r["evidence"] = json.loads(r["evidence"] or "[]")
        due.append(r)
    return due


def _batches(due: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Immediate lists: one batch per alert and channel; digests: one per list and channel."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in due:
        key = (r["list_id"], r["channel"]) + ((r["alert_id"],) if r["digest"] == "immediate" else ())
        groups.setdefault(key, []).append(r)
    out = []
    for key, rows in groups.items():
        ids = ",".join(str(r["alert_id"]) for r in rows)
        out.append((f"{key[0]}-{key[1]}-{hashlib.sha1(ids.encode()).hexdigest()[:12]}", rows))
    return out


def payload(settings: Settings, batch: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON a webhook receives (also the facts of an e-mail)."""
    t = i18n.Translator(settings.language if settings.language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE)
    first = rows[0]
    return {"batch": batch, "list": {"id": first["list_id"], "name": first["list_name"], "owner": first["owner"],
                                     "digest": first["digest"]},
            "alerts": [{"alert_id": r["alert_id"], "kind": r["kind"], "doc_id": r["doc_id"],
                        "mark_id": r["params"].get("mark_id"),
                        "object": {"kind": r["object_kind"], "value": r["object_value"]},
                        "occurred": str(r["occurred"] or ""), "message": message(t, r), "link": link(settings, r),
                        "params": r["params"], "evidence": r["evidence"]} for r in rows]}


def _email(ws: WatchSettings, smtp: smtplib.SMTP | None, body: dict[str, Any], to: str,
           t: i18n.Translator) -> smtplib.SMTP:
    if not ws.smtp_host:
        raise OSError("no SMTP server: set watch.smtp_host in the settings file")
    if smtp is None:
        if ws.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(ws.smtp_host, ws.smtp_port, timeout=30)
        else:
            smtp = smtplib.SMTP(ws.smtp_host, ws.smtp_port, timeout=30)
            if ws.smtp_tls == "starttls":
                smtp.starttls()
        if ws.smtp_user:
            smtp.login(ws.smtp_user, ws.smtp_password)
    msg = EmailMessage()
    alerts = body["alerts"]
    msg["Subject"] = t("watch.mail.subject", list=body["list"]["name"], n=len(alerts))
    msg["From"], msg["To"] = ws.smtp_from, to
    msg["Message-ID"] = f"<watch-{body['batch']}@ipcockpit>"
    msg["X-IPCockpit-Alerts"] = ", ".join(str(a["alert_id"]) for a in alerts)
    msg.set_content("\n".join(f"{a['occurred']}  {a['message']}\n  {a['link']}" for a in alerts) + "\n")
    smtp.send_message(msg)
    return smtp


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=<hex HMAC-SHA256 of the body under the list's secret>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _webhook(ws: WatchSettings, url: str, secret: str, body: dict[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(secret, data),
        DELIVERY_HEADER: body["batch"]})
    with urllib.request.urlopen(req, timeout=ws.webhook_timeout) as resp:  # noqa: S310 (the list's own URL)
        if resp.status >= 300:
            raise OSError(f"webhook {url} answered {resp.status}")


def deliver(store: Store, settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """Send what is due; returns ``{"sent": {channel: n}, "failed": {channel: n}, "messages": n, "errors": [...]}``."""
    now = now or datetime.now()
    ws = WatchSettings.of(settings)
    t = i18n.Translator(settings.language if settings.language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE)
    sent: dict[str, int] = {}
    failed: dict[str, int] = {}
    errors: list[str] = []
    smtp: smtplib.SMTP | None = None
    digested: set[int] = set()
    messages = 0
    try:
        for batch, rows in _batches(_due(store, now)):
            first, channel = rows[0], rows[0]["channel"]
            body = payload(settings, batch, rows)
            error = None
            try:
                if channel == "email":
                    smtp = _email(ws, smtp, body, first["email"], t)
                else:
                    _webhook(ws, first["webhook_url"], first["webhook_secret"], body)
            except (OSError, smtplib.SMTPException, urllib.error.URLError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                if channel == "email" and smtp is not None:
                    smtp = _close(smtp)
            ids = [r["alert_id"] for r in rows]
            if error is None:
                store.con.execute("UPDATE watch_deliveries SET status = 'sent', sent_at = $now, last_try = $now, "
                                  "attempts = attempts + 1, last_error = NULL, batch = $b WHERE channel = $c AND "
                                  "alert_id IN (SELECT unnest($ids::BIGINT[]))",
                                  {"now": now, "b": batch, "c": channel, "ids": ids})
                sent[channel] = sent.get(channel, 0) + len(rows)
                messages += 1
                if first["digest"] != "immediate":
                    digested.add(first["list_id"])
            else:
                store.con.execute("UPDATE watch_deliveries SET status = 'failed', last_try = $now, "
                                  "attempts = attempts + 1, last_error = $e WHERE channel = $c AND "
                                  "alert_id IN (SELECT unnest($ids::BIGINT[]))",
                                  {"now": now, "e": error, "c": channel, "ids": ids})
                failed[channel] = failed.get(channel, 0) + len(rows)
                errors.append(f"{first['list_name']} {channel}: {error}")
    finally:
        _close(smtp)
    for list_id in digested:
        store.con.execute("UPDATE watch_lists SET last_digest_at = ? WHERE list_id = ?", [now, list_id])
    return {"sent": sent, "failed": failed, "messages": messages, "errors": errors}


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return None
