"""Check-in operations: devices and pairing, and scanning a ticket (online or uploaded later).

A scan takes a row lock on the ticket (``SELECT … FOR UPDATE``) before it decides, and the
partial unique index ``uq_scans_one_admission`` allows one admitting scan per ticket and
single-entry list: two gates cannot both admit one ticket, whatever the concurrency.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, load_only, make_transient_to_detached

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival, FestivalDay
from eventday.i18n import LOCAL_TZ
from ticketing import codes, signing
from ticketing.checkin.models import (
    CheckinList,
    Gate,
    Scan,
    ScannerDevice,
    checkin_list_days,
    checkin_list_types,
)
from ticketing.models import FestivalKey, Ticket, TicketType, ticket_type_days

PAIRING_HOURS = 24
# A device clock further ahead than this is not trusted: the server's time is used instead.
MAX_FUTURE_SKEW = dt.timedelta(minutes=5)
# Offline queues may be old, but not older than the festival plus some days.
MAX_PAST = dt.timedelta(days=30)
# A device's last contact is refreshed at most this often: not one UPDATE (and a row lock on
# the device) per scan.
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)
# Festival public keys are kept per process this long; a code signed with a key id not in the
# cache reloads them at once (a new key after a rotation verifies from its first scan).
KEY_CACHE_SECONDS = 300


class CheckinError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # 'pairing_invalid', 'bad_nonce', 'bad_type'


@dataclass
class ScanRequest:
    checkin_list: CheckinList
    code: str | None = None
    short_code: str | None = None
    type: str = "entry"
    scanned_at: dt.datetime | None = None
    nonce: str | None = None
    device: ScannerDevice | None = None
    gate: Gate | None = None
    offline: bool = False
    # What the phone showed when it scanned offline ("ok" = it let the person in).
    local_status: str | None = None


@dataclass
class ScanResult:
    scan: Scan
    ticket: Ticket | None
    first_scan: Scan | None
    replayed: bool = False  # the same nonce was uploaded before: nothing changed
    clock_skew: bool = False  # the device's time was not plausible; the server's was used

    @property
    def status(self) -> str:
        return self.scan.status


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --------------------------------------------------------------------------- devices


def create_device(
    festival: Festival, checkin_list: CheckinList, name: str, gate: Gate | None = None
) -> tuple[ScannerDevice, str]:
    """A device waiting to be paired; returns it and the one-time pairing code."""
    code = codes.random_code(10)
    device = ScannerDevice(
        festival_id=festival.id,
        list_id=checkin_list.id,
        gate_id=gate.id if gate else None,
        name=" ".join(name.split())[:120],
        pairing_code_hash=_hash(code),
        pairing_expires_at=utcnow() + dt.timedelta(hours=PAIRING_HOURS),
    )
    db.session.add(device)
    db.session.flush()
    return device, code


def pair_device(code: str) -> tuple[ScannerDevice, str]:
    """Exchange a pairing code (once, before it expires) for the device's secret token."""
    device = db.session.scalar(
        sa.select(ScannerDevice)
        .where(ScannerDevice.pairing_code_hash == _hash(codes.normalize_code(code)))
        .with_for_update()
    )
    if (
        device is None
        or device.revoked_at is not None
        or device.pairing_expires_at is None
        or device.pairing_expires_at < utcnow()
    ):
        raise CheckinError("pairing_invalid")
    token = "eds_" + secrets.token_urlsafe(32)
    device.token_hash = _hash(token)
    device.pairing_code_hash = None
    device.pairing_expires_at = None
    device.paired_at = utcnow()
    device.last_seen_at = utcnow()
    db.session.flush()
    return device, token


def staff_device(user, festival: Festival, checkin_list: CheckinList) -> tuple[ScannerDevice, str]:
    """Logged-in staff open the scanner: their own device for the list, with a fresh token
    (the previous token of that device stops working; its queued scans upload with the new
    one, since the queue lives in the browser, not in the token)."""
    device = db.session.scalar(
        sa.select(ScannerDevice).where(
            ScannerDevice.user_id == user.id,
            ScannerDevice.list_id == checkin_list.id,
            ScannerDevice.revoked_at.is_(None),
        )
    )
    if device is None:
        device = ScannerDevice(
            festival_id=festival.id,
            list_id=checkin_list.id,
            name=user.full_name[:120],
            user_id=user.id,
            paired_at=utcnow(),
        )
        db.session.add(device)
    token = "eds_" + secrets.token_urlsafe(32)
    device.token_hash = _hash(token)
    device.last_seen_at = utcnow()
    db.session.flush()
    return device, token


def device_for_token(token: str) -> ScannerDevice | None:
    if not token.startswith("eds_"):
        return None
    device = db.session.scalar(_statements().device_by_token, {"token_hash": _hash(token)})
    if device is None or device.revoked_at is not None:
        return None
    return device


def revoke_device(device: ScannerDevice) -> None:
    device.revoked_at = utcnow()
    device.token_hash = None
    device.pairing_code_hash = None
    db.session.flush()


# --------------------------------------------------------------------------- scanning


# The statements of a scan, built once on first use (after all models are mapped): building
# a select with its loader options costs more than running it; each scan only binds values.
@functools.cache
def _statements() -> SimpleNamespace:
    no_id, no_day = sa.cast(sa.null(), sa.Integer), sa.cast(sa.null(), sa.Date)
    return SimpleNamespace(
        device_by_token=sa.select(ScannerDevice)
        .where(ScannerDevice.token_hash == sa.bindparam("token_hash"))
        .options(joinedload(ScannerDevice.checkin_list)),  # one query: a scan needs the list
        lock_ticket=sa.select(Ticket)
        .where(Ticket.id == sa.bindparam("ticket_id"))
        .options(
            # Only the columns a scan reads (any other loads if touched), the type joined.
            load_only(
                Ticket.festival_id,
                Ticket.ticket_type_id,
                Ticket.state,
                Ticket.short_code,
                Ticket.attendee_name,
            ),
            joinedload(Ticket.ticket_type, innerjoin=True).load_only(
                TicketType.festival_id, TicketType.name_vi, TicketType.name_en
            ),
        )
        .with_for_update(of=Ticket)
        .execution_options(populate_existing=True),
        replay_or_admission=sa.select(Scan).where(
            sa.or_(
                Scan.nonce == sa.bindparam("nonce"),
                sa.and_(
                    Scan.list_id == sa.bindparam("list_id"),
                    Scan.ticket_id == sa.bindparam("ticket_id"),
                    Scan.admits,
                ),
            )
        ),
        list_rules=sa.union_all(
            sa.select(sa.literal("list_type"), checkin_list_types.c.ticket_type_id, no_day).where(
                checkin_list_types.c.list_id == sa.bindparam("list_id")
            ),
            sa.select(sa.literal("list_day"), no_id, FestivalDay.day)
            .join(checkin_list_days, checkin_list_days.c.festival_day_id == FestivalDay.id)
            .where(checkin_list_days.c.list_id == sa.bindparam("list_id")),
            sa.select(sa.literal("type_day"), no_id, FestivalDay.day)
            .join(ticket_type_days, ticket_type_days.c.festival_day_id == FestivalDay.id)
            .where(ticket_type_days.c.ticket_type_id == sa.bindparam("ticket_type_id")),
            sa.select(sa.literal("festival_day"), no_id, FestivalDay.day).where(
                FestivalDay.festival_id == sa.bindparam("festival_id")
            ),
        ),
    )


def lock_ticket(ticket_id: int) -> Ticket | None:
    """Row lock on the ticket for the length of the transaction (no-op on SQLite), with its
    type in the same query."""
    return db.session.scalar(_statements().lock_ticket, {"ticket_id": ticket_id})


def _public_keys(festival_id: int, *, refresh: bool = False) -> dict[int, bytes]:
    """The festival's public keys by key id, cached per app and process (KEY_CACHE_SECONDS)."""
    cache = current_app.extensions.setdefault("checkin_public_keys", {})
    entry = cache.get(festival_id)
    now = time.monotonic()
    if refresh or entry is None or now - entry[0] > KEY_CACHE_SECONDS:
        rows = db.session.execute(
            sa.select(FestivalKey.key_id, FestivalKey.public_key).where(
                FestivalKey.festival_id == festival_id
            )
        )
        entry = cache[festival_id] = (now, {key_id: bytes(raw) for key_id, raw in rows})
    return entry[1]


def _verify(raw: str, festival_id: int) -> signing.TicketClaims:
    """``signing.verify_for_festival`` with the cached keys; TicketCodeError if not valid."""
    try:
        claims = signing.decode_and_verify(raw, _public_keys(festival_id))
    except signing.TicketCodeError as exc:
        if exc.reason != "unknown_key":
            raise
        claims = signing.decode_and_verify(raw, _public_keys(festival_id, refresh=True))
    if claims.festival_id != festival_id:
        raise signing.TicketCodeError("festival", "ticket belongs to another festival")
    return claims


def _resolve_ticket_id(festival_id: int, request: ScanRequest) -> int | None:
    """The id the code names — a QR text verified offline-style, or a typed short code."""
    raw = (request.code or "").strip()
    short = request.short_code
    if raw and not raw.upper().startswith("EDT"):
        short = short or raw  # a keyboard-wedge scanner or a person typed the short code
        raw = ""
    if raw:
        try:
            return _verify(raw, festival_id).ticket_id
        except signing.TicketCodeError:
            return None
    if short:
        code = codes.normalize_code(short)
        if len(code) != 8:
            return None
        return db.session.scalar(
            sa.select(Ticket.id).where(Ticket.festival_id == festival_id, Ticket.short_code == code)
        )
    return None


def _list_rules(checkin_list: CheckinList, ticket: Ticket) -> tuple[set[int], set[dt.date]]:
    """(the list's ticket type ids — empty: all —, the days this ticket is admitted on this
    list), read in one query: the list's types and days, the type's days, the festival's."""
    rows = db.session.execute(
        _statements().list_rules,
        {
            "list_id": checkin_list.id,
            "ticket_type_id": ticket.ticket_type_id,
            "festival_id": ticket.festival_id,
        },
    ).all()
    found: dict[str, set] = {"list_type": set(), "list_day": set(), "type_day": set()}
    found["festival_day"] = set()
    for kind, type_id, day in rows:
        found[kind].add(type_id if kind == "list_type" else day)
    return found["list_type"], admitted_days(
        found["list_day"], found["type_day"], found["festival_day"]
    )


def admitted_days(list_days, type_days, festival_days) -> set[dt.date]:
    """A type without days admits every festival day; a list without days, every admitted
    day."""
    days = set(type_days or festival_days)
    if list_days:
        days &= set(list_days)
    return days


def rule_status(
    *,
    state: str,
    ticket_type_id: int,
    list_types,
    days: set[dt.date],
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    scanned_at: dt.datetime,
) -> str | None:
    """What the ticket and the list's rules answer before admissions are looked at: "unpaid",
    "revoked", "wrong_list", "wrong_day", or None when the ticket may pass. Shared by the ORM
    scan and the lean path of ``ticketing.checkin.fastscan``."""
    if state == "reserved":
        return "unpaid"
    if state != "valid":
        return "revoked"
    if list_types and ticket_type_id not in list_types:
        return "wrong_list"
    if scanned_at.astimezone(LOCAL_TZ).date() not in days:
        return "wrong_day"
    if starts_at and scanned_at < starts_at:
        return "wrong_day"
    if ends_at and scanned_at > ends_at:
        return "wrong_day"
    return None


def scan_time(at: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """(the time the scan is recorded at, whether the device's time was implausible)."""
    if at is None:
        return now, False
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    if at > now + MAX_FUTURE_SKEW or at < now - MAX_PAST:
        return now, True
    return at, False


def scan_ticket(request: ScanRequest) -> ScanResult:
    """Decide and record one scan. Idempotent by nonce: uploading the same scan again returns
    the first answer and changes nothing. Offline scans keep their original time; on a
    single-entry list the earliest admission wins and later ones are marked duplicates."""
    checkin_list = request.checkin_list
    festival_id = checkin_list.festival_id
    if request.type not in ("entry", "exit"):
        raise CheckinError("bad_type")
    nonce = (request.nonce or "").strip() or secrets.token_hex(16)
    if len(nonce) > 64:
        raise CheckinError("bad_nonce")
    now = utcnow()
    scanned_at, skewed = scan_time(request.scanned_at, now)
    if request.gate is not None:
        gate_id = request.gate.id
    else:
        gate_id = request.device.gate_id if request.device else None
    scan = Scan(
        festival_id=festival_id,
        list_id=checkin_list.id,
        device_id=request.device.id if request.device else None,
        gate_id=gate_id,
        type=request.type,
        nonce=nonce,
        scanned_at=scanned_at,
        received_at=now,
        offline=request.offline,
        raw_code=((request.code or request.short_code or "")[:200]),
    )
    scan._local_status = request.local_status  # not a column: read by _decide
    device = request.device
    if device is not None and (
        device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_RESOLUTION
    ):
        device.last_seen_at = now

    found = _resolve_ticket_id(festival_id, request)
    ticket = lock_ticket(found) if found is not None else None
    if ticket is not None and ticket.festival_id != festival_id:
        ticket = None
    # After the lock, one query for both: an earlier upload of this nonce (a replay) and the
    # ticket's admission on this list.
    previous, admission = _replay_and_admission(
        nonce, checkin_list.id, ticket.id if ticket is not None else None
    )
    if previous is not None:
        first = _first_admission(previous, admission)
        return ScanResult(previous, previous.ticket, first, replayed=True)
    first = None
    if ticket is None:
        scan.status = "invalid"
    else:
        scan.ticket_id = ticket.id
        scan.status, first = _decide(ticket, checkin_list, scan, admission)
    if scan.id is not None:  # already written (the earliest offline admission took over)
        return ScanResult(scan, ticket, first, clock_skew=skewed)
    stored = _insert_scan(scan)
    if stored is None:
        twin = db.session.scalar(sa.select(Scan).where(Scan.nonce == nonce))
        if twin is not None:  # the same scan uploaded twice at once: the other one counts
            return ScanResult(twin, twin.ticket, _first_admission(twin), replayed=True)
        # The unique index caught a second admission the lock did not (the lock is the first
        # line of defence; this is the last): answer as for a ticket already inside.
        scan.admits = False
        scan.status = "already_checked_in"
        stored = _insert_scan(scan)
        first = _admission(checkin_list.id, scan.ticket_id)
    return ScanResult(stored, ticket, first, clock_skew=skewed)


def _insert_scan(scan: Scan) -> Scan | None:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING``: the stored scan, or None if a unique rule
    (the nonce; one admission per ticket and single-entry list) already has its row. A failed
    insert leaves the transaction usable without a SAVEPOINT (two round trips fewer)."""
    row = {}
    for column in _scan_columns():
        value = getattr(scan, column.key)
        if value is None and column.default is not None:
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
        row[column.key] = value
    statement = _insert_statement(db.session.get_bind().dialect.name)
    scan_id = db.session.execute(statement, row).scalar()
    if scan_id is None:
        return None
    # A Core INSERT (an ORM one costs twice as much): the object becomes the stored row.
    for key, value in row.items():
        setattr(scan, key, value)
    scan.id = scan_id
    make_transient_to_detached(scan)
    db.session.add(scan)
    return scan


@functools.cache
def _scan_columns() -> tuple[sa.Column, ...]:
    return tuple(c for c in Scan.__table__.columns if not c.primary_key)


@functools.cache
def _insert_statement(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {c.key: sa.bindparam(c.key, type_=c.type) for c in _scan_columns()}
    return (
        insert(Scan.__table__)
        .values(values)
        .on_conflict_do_nothing()
        .returning(Scan.__table__.c.id)
    )


def _replay_and_admission(
    nonce: str, list_id: int, ticket_id: int | None
) -> tuple[Scan | None, Scan | None]:
    """(the scan already stored with this nonce, the ticket's admitting scan on the list)."""
    params = {"nonce": nonce, "list_id": list_id, "ticket_id": ticket_id}
    previous = admission = None
    for row in db.session.scalars(_statements().replay_or_admission, params):
        if row.nonce == nonce:
            previous = row
        if row.admits and row.list_id == list_id and row.ticket_id == ticket_id:
            admission = row
    return previous, admission


def _admission(list_id: int, ticket_id: int | None) -> Scan | None:
    if ticket_id is None:
        return None
    return db.session.scalar(
        sa.select(Scan).where(Scan.list_id == list_id, Scan.ticket_id == ticket_id, Scan.admits)
    )


def _first_admission(scan: Scan, known: Scan | None = None) -> Scan | None:
    if scan.status != "already_checked_in":
        return None
    if known is not None and (known.list_id, known.ticket_id) == (scan.list_id, scan.ticket_id):
        return known
    return _admission(scan.list_id, scan.ticket_id)


def _decide(
    ticket: Ticket, checkin_list: CheckinList, scan: Scan, admission: Scan | None
) -> tuple[str, Scan | None]:
    # The rules are read only for a valid ticket (any other is refused by its state).
    list_types, days = _list_rules(checkin_list, ticket) if ticket.state == "valid" else ((), set())
    refused = rule_status(
        state=ticket.state,
        ticket_type_id=ticket.ticket_type_id,
        list_types=list_types,
        days=days,
        starts_at=checkin_list.starts_at,
        ends_at=checkin_list.ends_at,
        scanned_at=scan.scanned_at,
    )
    if refused is not None:
        return refused, None
    if scan.type == "exit":
        return "ok", None
    if checkin_list.single_entry:
        if admission is None:
            scan.admits = True
            return "ok", None
        if scan.offline and scan.scanned_at < admission.scanned_at:
            # An offline scan from another gate happened first: it becomes the admission and
            # the one already recorded is listed as the duplicate after sync. Only an offline
            # scan (already answered green on the phone): an online scan is answered now, and
            # its time, taken before the lock, may precede an admission committed meanwhile —
            # taking the admission over would show two gates green for one ticket.
            admission.admits = False
            db.session.flush()
            scan.admits = True
            scan.status = "ok"
            db.session.add(scan)
            db.session.flush()
            admission.duplicate_of_id = scan.id
            return "ok", None
        # Only a second admission is a "duplicate after sync": the phone let the person in.
        let_in = scan.offline and request_local_status_ok(scan)
        scan.duplicate_of_id = admission.id if let_in else None
        return "already_checked_in", admission
    if checkin_list.track_exits:
        last = db.session.scalar(
            sa.select(Scan)
            .where(
                Scan.list_id == checkin_list.id,
                Scan.ticket_id == ticket.id,
                Scan.status == "ok",
            )
            .order_by(Scan.scanned_at.desc(), Scan.id.desc())
            .limit(1)
        )
        if last is not None and last.type == "entry":
            return "already_checked_in", last
    return "ok", None


def request_local_status_ok(scan: Scan) -> bool:
    return getattr(scan, "_local_status", None) in (None, "ok")


def duplicates_after_sync(festival: Festival) -> list[Scan]:
    """Second admissions found when offline queues were uploaded, per gate and time."""
    return list(
        db.session.scalars(
            sa.select(Scan)
            .where(Scan.festival_id == festival.id, Scan.duplicate_of_id.is_not(None))
            .order_by(Scan.gate_id, Scan.scanned_at)
        )
    )
