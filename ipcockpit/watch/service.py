"""The watch service (docs/monitoring.md, "Watch lists and alerts"): what the command line, the API and the page
call, as ``Watch(store, settings).<operation>(...)`` (built by the interfaces' ``of(cockpit)`` until the core
holds it as ``cockpit.monitor.watch``).

Who may see what: a list is seen by its owner, by every user of its ``shared_role`` and by admins; it is changed
(objects, settings, read marks of its inbox) by its owner and admins. Admins and analysts keep lists; an
enterprise user keeps lists of their own and sees lists shared with the enterprise role. The public has none.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ipcockpit import i18n
from ipcockpit.auth import ADMIN, ROLES, AccessError, User
from ipcockpit.watch import delivery, detect
from ipcockpit.watch import store as wstore
from ipcockpit.watch.sources import KINDS

if TYPE_CHECKING:
    from ipcockpit.settings import Settings
    from ipcockpit.store import Store

#: columns of the alerts' CSV and Excel downloads, in order
ALERT_COLUMNS = ("alert_id", "list_name", "kind", "occurred", "doc_id", "mark_id", "object_kind", "object_value",
                 "message", "link", "created_at", "read")


class Watch:
    """Watch lists, their alerts and deliveries over one store and its settings."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self.settings = settings

    # access ---------------------------------------------------------------------------------------
    @staticmethod
    def may_see(user: User, row: dict[str, Any]) -> bool:
        return user.role == ADMIN or (user.name is not None and row["owner"] == user.name) or (
            row.get("shared_role") is not None and row["shared_role"] == user.role and user.role in ROLES)

    @staticmethod
    def may_edit(user: User, row: dict[str, Any]) -> bool:
        return user.role == ADMIN or (user.name is not None and row["owner"] == user.name)

    def _list(self, user: User, list_id: int, edit: bool = False) -> dict[str, Any]:
        row = wstore.get_list(self._store, list_id)
        if not (self.may_edit(user, row) if edit else self.may_see(user, row)):
            raise AccessError(f"watch list {list_id} is not yours to {'change' if edit else 'see'}")
        return row

    # lists ----------------------------------------------------------------------------------------
    def lists(self, user: User) -> list[dict[str, Any]]:
        return [self._public(r, user) for r in wstore.lists(self._store) if self.may_see(user, r)]

    def _public(self, row: dict[str, Any], user: User) -> dict[str, Any]:
        """A list as ``user`` sees it: the webhook secret (the key a receiver checks the signature with) only for
        those who may change the list."""
        return {k: v for k, v in row.items() if k != "webhook_secret" or self.may_edit(user, row)}

    def add(self, user: User, list_name: str, objects: dict[str, list[str]] | None = None, *,
            shared_role: str | None = None, digest: str | None = None, email: str | None = None,
            webhook_url: str | None = None, expiry_days: int | None = None, owner: str | None = None) -> dict[str, Any]:
        """Add objects to ``user``'s list ``list_name`` (made when it does not exist; an admin may name another
        ``owner``); returns the list with ``added`` (the objects new to it). The events already stored on a new
        object are recorded as baseline at once (never delivered), so the next ingest alerts only what is new."""
        if user.name is None or user.role not in ROLES:
            raise AccessError("sign in to keep a watch list")
        owner = owner or user.name
        if owner != user.name and user.role != ADMIN:
            raise AccessError("only an admin keeps lists for other users")
        s = self._store
        try:
            row = wstore.find_list(s, owner, list_name)
        except wstore.WatchError:
            default = delivery.WatchSettings.of(self.settings).expiry_days
            row = wstore.create_list(s, owner, list_name, shared_role=shared_role, digest=digest or "immediate",
                                     email=email, webhook_url=webhook_url,
                                     expiry_days=default if expiry_days is None else expiry_days)
        else:
            if not self.may_edit(user, row):
                raise AccessError(f"watch list {row['list_id']} is not yours to change")
            changes = {"shared_role": shared_role, "digest": digest, "email": email, "webhook_url": webhook_url,
                       "expiry_days": expiry_days}
            wstore.check_options(**changes)
            for column, value in changes.items():
                if value is not None:
                    s.con.execute(f"UPDATE watch_lists SET {column} = ? WHERE list_id = ?",
                                  [value or None, row["list_id"]])
        added = [(kind, wstore.normalise_object(kind, v)) for kind, values in (objects or {}).items() for v in values
                 if wstore.add_object(s, row["list_id"], kind, v)]
        if added:
            detect.detect(s, self.settings, list_ids=[row["list_id"]])  # baseline of what the store already holds
        out = self._public(wstore.get_list(s, row["list_id"]), user)
        return {**out, "added": [{"kind": k, "value": v} for k, v in added]}

    def remove(self, user: User, list_id: int, kind: str, value: str) -> bool:
        self._list(user, list_id, edit=True)
        return wstore.remove_object(self._store, list_id, kind, value)

    def delete(self, user: User, list_id: int) -> None:
        self._list(user, list_id, edit=True)
        wstore.delete_list(self._store, list_id)

    def secret(self, user: User, list_id: int) -> str:
        """The key a webhook receiver checks the signature with (owner and admins)."""
        return self._list(user, list_id, edit=True)["webhook_secret"]

    # runs -----------------------------------------------------------------------------------------
    def run(self, now: datetime | None = None, today: date | None = None) -> dict[str, Any]:
        """Detect new events on every list, then send what is due (and retry what failed)."""
        now = now or datetime.now()
        found = detect.detect(self._store, self.settings, today or now.date())
        sent = delivery.deliver(self._store, self.settings, now)
        return {**found, "delivery": sent}

    # the inbox ------------------------------------------------------------------------------------
    def alerts(self, user: User, list_id: int | None = None, unread: bool = False, kind: str | None = None,
               baseline: bool = False, limit: int = 200, lang: str | None = None) -> dict[str, Any]:
        """The alerts of the lists ``user`` may see (newest first), each with its sentence, its evidence and the
        link to the page it rests on, and its deliveries."""
        if kind is not None and kind not in KINDS:
            raise wstore.WatchError(f"alert kind {kind!r}: use one of {', '.join(KINDS)}")
        visible = {r["list_id"]: r for r in wstore.lists(self._store) if self.may_see(user, r)}
        if list_id is not None:
            self._list(user, list_id)
            visible = {list_id: visible[list_id]}
        t = i18n.Translator(lang or (self.settings.language if self.settings.language in i18n.LANGUAGES
                                     else i18n.DEFAULT_LANGUAGE))
        where = ["a.list_id IN (SELECT unnest($ids::BIGINT[]))", "a.baseline = $b"]
        if unread:
            where.append("a.read_at IS NULL")
        if kind:
            where.append("a.kind = $k")
        params: dict[str, Any] = {"ids": list(visible), "b": baseline, "n": limit}
        if kind:
            params["k"] = kind
        rows = self._store.con.execute(
            "SELECT a.*, (SELECT list(struct_pack(channel := d.channel, status := d.status, attempts := d.attempts, "
            "error := d.last_error, sent_at := d.sent_at) ORDER BY d.channel) FROM watch_deliveries d "
            "WHERE d.alert_id = a.alert_id) AS deliveries FROM watch_alerts a WHERE " + " AND ".join(where) +
            " ORDER BY a.created_at DESC, a.alert_id DESC LIMIT $n", params)
        names = [c[0] for c in rows.description or []]
        out = []
        for row in rows.fetchall():
            r = dict(zip(names, row, strict=True))
            r["params"] = json.loads(r["params"] or "{}")
            r["evidence"] = json.loads(r["evidence"] or "[]")
            r["list_name"] = visible[r["list_id"]]["name"]
            r["mark_id"] = r["params"].get("mark_id")  # a similar filing's mark (its page: /marks/mark/{id})
            r["message"] = delivery.message(t, r)
            r["link"] = delivery.link(self.settings, r)
            r["read"] = r["read_at"] is not None
            out.append(r)
        count_params = {k: v for k, v in params.items() if k != "n"}
        total = self._store.con.execute("SELECT count(*) FROM watch_alerts a WHERE " + " AND ".join(where),
                                        count_params).fetchone()[0]
        return {"alerts": out, "count": len(out), "limit": limit, "unread_only": unread, "kind": kind,
                "total": total}

    def mark_read(self, user: User, alert_ids: list[int], read: bool = True) -> int:
        """Mark alerts of lists ``user`` may change read (or unread); returns how many changed."""
        if not alert_ids:
            return 0
        rows = self._store.con.execute("SELECT alert_id, list_id FROM watch_alerts WHERE alert_id IN "
                                       "(SELECT unnest($ids::BIGINT[]))", {"ids": alert_ids}).fetchall()
        lists_ = {}
        for _, lid in rows:
            if lid not in lists_:
                lists_[lid] = self._list(user, lid, edit=True)
        changed = self._store.con.execute(
            "UPDATE watch_alerts SET read_at = $at WHERE alert_id IN (SELECT unnest($ids::BIGINT[])) "
            "AND (read_at IS NULL) = $to_read RETURNING 1",
            {"at": datetime.now() if read else None, "ids": [r[0] for r in rows], "to_read": read}).fetchall()
        return len(changed)

    def page(self, user: User, list_id: int | None = None, unread: bool = False, kind: str | None = None,
             limit: int = 200, lang: str | None = None) -> dict[str, Any]:
        """The /watch page's data: the user's lists (each with what it watches and whether the user may change
        it) and the inbox."""
        lists_ = self.lists(user)
        for row in lists_:
            row["watched"] = self._store.query("SELECT kind, value, label, added_at FROM watch_objects "
                                               "WHERE list_id = ? ORDER BY kind, value", [row["list_id"]])
            row["may_edit"] = self.may_edit(user, row)
        return {"lists": lists_, "kinds": list(KINDS), "object_kinds": list(wstore.OBJECT_KINDS),
                "digests": list(wstore.DIGESTS), "list_id": list_id,
                **self.alerts(user, list_id, unread, kind, limit=limit, lang=lang)}


def alert_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerts of :meth:`Watch.alerts` as flat rows for CSV and Excel (:data:`ALERT_COLUMNS`)."""
    return [{c: (a.get(c) if c != "created_at" else str(a.get(c) or "")) for c in ALERT_COLUMNS}
            for a in data["alerts"]]

