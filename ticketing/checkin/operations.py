"""Check-in operations: devices and pairing, and scanning a ticket (online or uploaded later).

A scan takes a row lock on the ticket (``SELECT … FOR UPDATE``) before it decides, and the
partial unique index ``uq_scans_one_admission`` allows one admitting scan per ticket and
single-entry list: two gates cannot both admit one ticket, whatever the concurrency.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.i18n import LOCAL_TZ
from ticketing import codes, signing
from ticketing.checkin.models import CheckinList, Gate, Scan, ScannerDevice
from ticketing.models import Ticket

PAIRING_HOURS = 24
# A device clock further ahead than this is not trusted: the server's time is used instead.
MAX_FUTURE_SKEW = dt.timedelta(minutes=5)
# Offline queues may be old, but not older than the festival plus some days.
MAX_PAST = dt.timedelta(days=30)


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
    device = db.session.scalar(
        sa.select(ScannerDevice).where(ScannerDevice.token_hash == _hash(token))
    )
    if device is None or device.revoked_at is not None:
        return None
    return device


def revoke_device(device: ScannerDevice) -> None:
    device.revoked_at = utcnow()
    device.token_hash = None
    device.pairing_code_hash = None
    db.session.flush()


# --------------------------------------------------------------------------- scanning


def lock_ticket(ticket_id: int) -> Ticket | None:
    """Row lock on the ticket for the length of the transaction (no-op on SQLite)."""
    return db.session.scalar(
        sa.select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _resolve_ticket(festival: Festival, request: ScanRequest) -> Ticket | None:
    raw = (request.code or "").strip()
    short = request.short_code
    if raw and not raw.upper().startswith("EDT"):
        short = short or raw  # a keyboard-wedge scanner or a person typed the short code
        raw = ""
    if raw:
        try:
            claims = signing.verify_for_festival(raw, festival)
        except signing.TicketCodeError:
            return None
        ticket = db.session.get(Ticket, claims.ticket_id)
        if ticket is None or ticket.festival_id != festival.id:
            return None
        return ticket
    if short:
        code = codes.normalize_code(short)
        if len(code) != 8:
            return None
        return db.session.scalar(
            sa.select(Ticket).where(Ticket.festival_id == festival.id, Ticket.short_code == code)
        )
    return None


def _admitted_days(ticket: Ticket, checkin_list: CheckinList) -> set[dt.date]:
    days = {d.day for d in (ticket.ticket_type.days or ticket.ticket_type.festival.days)}
    if checkin_list.days:
        days &= {d.day for d in checkin_list.days}
    return days


def _scan_time(request: ScanRequest, now: dt.datetime) -> tuple[dt.datetime, bool]:
    at = request.scanned_at
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
    festival = db.session.get(Festival, checkin_list.festival_id)
    if request.type not in ("entry", "exit"):
        raise CheckinError("bad_type")
    nonce = (request.nonce or "").strip() or secrets.token_hex(16)
    if len(nonce) > 64:
        raise CheckinError("bad_nonce")
    previous = db.session.scalar(sa.select(Scan).where(Scan.nonce == nonce))
    if previous is not None:
        return ScanResult(previous, previous.ticket, _first_admission(previous), replayed=True)

    now = utcnow()
    scanned_at, skewed = _scan_time(request, now)
    gate = request.gate or (request.device.gate if request.device else None)
    scan = Scan(
        festival_id=festival.id,
        list_id=checkin_list.id,
        device_id=request.device.id if request.device else None,
        gate_id=gate.id if gate else None,
        type=request.type,
        nonce=nonce,
        scanned_at=scanned_at,
        received_at=now,
        offline=request.offline,
        raw_code=((request.code or request.short_code or "")[:200]),
    )
    if request.device is not None:
        request.device.last_seen_at = now

    found = _resolve_ticket(festival, request)
    ticket = lock_ticket(found.id) if found is not None else None
    first = None
    if ticket is None:
        scan.status = "invalid"
    else:
        scan.ticket_id = ticket.id
        scan.status, first = _decide(ticket, checkin_list, scan)
    db.session.add(scan)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # The unique index caught a second admission the lock did not (the lock is the first
        # line of defence; this is the last): answer as for a ticket already inside.
        scan.admits = False
        scan.status = "already_checked_in"
        db.session.add(scan)
        db.session.flush()
        first = _admission(checkin_list.id, scan.ticket_id)
    return ScanResult(scan, ticket, first, clock_skew=skewed)


def _admission(list_id: int, ticket_id: int | None) -> Scan | None:
    if ticket_id is None:
        return None
    return db.session.scalar(
        sa.select(Scan).where(Scan.list_id == list_id, Scan.ticket_id == ticket_id, Scan.admits)
    )


def _first_admission(scan: Scan) -> Scan | None:
    if scan.status != "already_checked_in":
        return None
    return _admission(scan.list_id, scan.ticket_id)


def _decide(ticket: Ticket, checkin_list: CheckinList, scan: Scan) -> tuple[str, Scan | None]:
    if ticket.state == "reserved":
        return "unpaid", None
    if ticket.state != "valid":
        return "revoked", None
    if checkin_list.ticket_types and ticket.ticket_type_id not in {
        t.id for t in checkin_list.ticket_types
    }:
        return "wrong_list", None
    local_day = scan.scanned_at.astimezone(LOCAL_TZ).date()
    if local_day not in _admitted_days(ticket, checkin_list):
        return "wrong_day", None
    if checkin_list.starts_at and scan.scanned_at < checkin_list.starts_at:
        return "wrong_day", None
    if checkin_list.ends_at and scan.scanned_at > checkin_list.ends_at:
        return "wrong_day", None
    if scan.type == "exit":
        return "ok", None
    if checkin_list.single_entry:
        admission = _admission(checkin_list.id, ticket.id)
        if admission is None:
            scan.admits = True
            return "ok", None
        if scan.scanned_at < admission.scanned_at:
            # An offline scan from another gate happened first: it becomes the admission and
            # the one already recorded is listed as the duplicate after sync.
            admission.admits = False
            db.session.flush()
            scan.admits = True
            scan.status = "ok"
            db.session.add(scan)
            db.session.flush()
            admission.duplicate_of_id = scan.id
            return "ok", None
        scan.duplicate_of_id = admission.id if scan.offline else None
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


def duplicates_after_sync(festival: Festival) -> list[Scan]:
    """Second admissions found when offline queues were uploaded, per gate and time."""
    return list(
        db.session.scalars(
            sa.select(Scan)
            .where(Scan.festival_id == festival.id, Scan.duplicate_of_id.is_not(None))
            .order_by(Scan.gate_id, Scan.scanned_at)
        )
    )
