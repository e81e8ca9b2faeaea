"""Check-in API for scanner devices (``Authorization: Bearer eds_…``): scan, upload queued
scans, sync the ticket list and revocations, download the festival's public keys.

Registered on ``eventday.api.bp``; described in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import functools

import sqlalchemy as sa
from flask import g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventday.api import (
    BEARER,
    ApiError,
    _bearer_token,
    bp,
    error_refs,
    iso,
    json_response,
    openapi,
)
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from ticketing import signing
from ticketing.checkin import operations as ops
from ticketing.checkin.models import ScannerDevice
from ticketing.models import Ticket, TicketType

MAX_BATCH = 500
SYNC_PAGE = 5000


def device_required(view):
    """A paired, unrevoked scanner device token; the view receives ``device``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer_token()
        device = ops.device_for_token(token) if token else None
        if device is None:
            raise ApiError(
                401,
                "invalid_device",
                _("This scanner is not paired or was revoked. Pair it again."),
                headers={"WWW-Authenticate": 'Bearer realm="eventday-scanner"'},
            )
        g.device = device
        return view(*args, device=device, **kwargs)

    wrapper.is_public = False
    return wrapper


def parse_time(raw) -> dt.datetime | None:
    """An ISO 8601 time from JSON (UTC when it names no zone), None when absent; ValueError
    when it is not one."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise ValueError("not a string")
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _parse_time(raw, field: str = "scanned_at") -> dt.datetime | None:
    try:
        return parse_time(raw)
    except ValueError:
        raise ApiError(
            422,
            "invalid_parameter",
            _("%(field)s must be an ISO 8601 time.", field=field),
            field=field,
        ) from None


def ticket_summary(ticket: Ticket | None) -> dict | None:
    if ticket is None:
        return None
    return {
        "id": ticket.id,
        "short_code": ticket.short_code,
        "name": ticket.attendee_name,
        "ticket_type": ticket.ticket_type.name_vi,
        "ticket_type_en": ticket.ticket_type.name_en,
        "state": ticket.state,
    }


def result_json(result: ops.ScanResult) -> dict:
    first = result.first_scan
    return {
        "nonce": result.scan.nonce,
        "status": result.status,
        "ticket": ticket_summary(result.ticket),
        "first_scan": {"at": iso(first.scanned_at), "gate": first.gate.name if first.gate else None}
        if first is not None
        else None,
        "scanned_at": iso(result.scan.scanned_at),
        "replayed": result.replayed,
        "clock_skew": result.clock_skew,
    }


def _scan_from(device: ScannerDevice, payload: dict, *, offline: bool) -> ops.ScanResult:
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid_body", _("Each scan must be a JSON object."))
    list_id = payload.get("list_id", device.list_id)
    if isinstance(list_id, bool) or not isinstance(list_id, int):
        raise ApiError(
            422, "invalid_parameter", _("This scan is not well formed."), field="list_id"
        )
    if list_id != device.list_id:
        raise ApiError(
            403,
            "wrong_device_list",
            _("This scanner is paired to another check-in list."),
            field="list_id",
        )
    code, short_code = payload.get("code"), payload.get("short_code")
    if not (isinstance(code, str) and code.strip()) and not (
        isinstance(short_code, str) and short_code.strip()
    ):
        raise ApiError(422, "invalid_parameter", _("Send a code or a short_code."), field="code")
    try:
        return ops.scan_ticket(
            ops.ScanRequest(
                checkin_list=device.checkin_list,
                code=code if isinstance(code, str) else None,
                short_code=short_code if isinstance(short_code, str) else None,
                type=payload.get("type", "entry"),
                scanned_at=_parse_time(payload.get("scanned_at")),
                nonce=payload.get("nonce") if isinstance(payload.get("nonce"), str) else None,
                device=device,
                offline=offline,
                local_status=payload.get("local_status")
                if isinstance(payload.get("local_status"), str)
                else None,
            )
        )
    except ops.CheckinError as exc:
        field = {"bad_type": "type", "bad_nonce": "nonce"}.get(exc.reason)
        raise ApiError(
            422, "invalid_parameter", _("This scan is not well formed."), field=field
        ) from exc


@bp.post("/checkin/scan")
@device_required
def scan(device: ScannerDevice):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid_body", _("Send the scan as a JSON object."))
    result = _scan_from(device, payload, offline=bool(payload.get("offline", False)))
    answer = result_json(result)  # before the commit expires the objects it reads
    db.session.commit()
    return jsonify(answer)


@bp.post("/checkin/scans")
@device_required
def upload_scans(device: ScannerDevice):
    """Upload a queue of offline scans; each answer is keyed by nonce. A scan that cannot be
    read is answered with an error entry — the others are still recorded."""
    payload = request.get_json(silent=True) or {}
    scans = payload.get("scans") if isinstance(payload, dict) else None
    if not isinstance(scans, list) or len(scans) > MAX_BATCH:
        raise ApiError(
            422, "invalid_body", _('Send up to 500 scans as {"scans": [...]}.'), field="scans"
        )
    results = []
    for item in scans:
        try:
            with db.session.begin_nested():
                result = _scan_from(device, item, offline=True)
            results.append(result_json(result))
        except ApiError as exc:
            results.append(
                {
                    "nonce": item.get("nonce") if isinstance(item, dict) else None,
                    "error": {"code": exc.code, "message": str(exc.message), "field": exc.field},
                }
            )
    db.session.commit()
    return jsonify(results=results)


@bp.get("/checkin/sync")
@device_required
def sync(device: ScannerDevice):
    """Everything the scanner keeps offline: its list, the festival's public keys, the
    revocation list and the minimal ticket list — incrementally with ``since`` and in pages of
    5,000 with ``after_id`` (the last id of the previous page, while ``complete`` is false)."""
    since = request.args.get("since")
    since_at = _parse_time(since, "since") if since else None
    after_raw = request.args.get("after_id", "0")
    if not after_raw.isdigit() or len(after_raw) > 10:
        raise ApiError(
            422, "invalid_parameter", _("after_id must be a ticket id."), field="after_id"
        )
    now = utcnow()
    # A little in the past, so a ticket changed by a transaction still committing now comes
    # again next time (the scanner de-duplicates by id).
    synced_at = now - dt.timedelta(minutes=5)
    festival_id = device.festival_id
    checkin_list = device.checkin_list
    festival = db.session.get(Festival, festival_id)
    types = db.session.scalars(
        sa.select(TicketType)
        .where(TicketType.festival_id == festival_id)
        .options(selectinload(TicketType.days))
    ).all()
    type_days = {t.id: [d.day.isoformat() for d in t.days] for t in types}
    stmt = sa.select(Ticket).where(Ticket.festival_id == festival_id, Ticket.id > int(after_raw))
    if checkin_list.ticket_types:
        stmt = stmt.where(Ticket.ticket_type_id.in_([t.id for t in checkin_list.ticket_types]))
    if since_at is not None:
        stmt = stmt.where(Ticket.updated_at > since_at)
    tickets = db.session.scalars(stmt.order_by(Ticket.id).limit(SYNC_PAGE + 1)).all()
    page_items = tickets[:SYNC_PAGE]
    device.last_seen_at = now
    db.session.commit()
    return jsonify(
        synced_at=iso(synced_at),
        server_time=iso(now),
        complete=len(tickets) <= SYNC_PAGE,
        next_after_id=page_items[-1].id if len(tickets) > SYNC_PAGE else None,
        device={
            "id": device.id,
            "name": device.name,
            "gate": device.gate.name if device.gate else None,
        },
        list={
            "id": checkin_list.id,
            "name": checkin_list.name,
            "single_entry": checkin_list.single_entry,
            "track_exits": checkin_list.track_exits,
            "ticket_type_ids": [t.id for t in checkin_list.ticket_types],
            "days": [d.day.isoformat() for d in checkin_list.days],
            "starts_at": iso(checkin_list.starts_at),
            "ends_at": iso(checkin_list.ends_at),
        },
        festival={
            "id": festival.id,
            "slug": festival.slug,
            "name": festival.name_vi,
            "days": [d.day.isoformat() for d in festival.days],
        },
        ticket_types=[{"id": t.id, "name_vi": t.name_vi, "name_en": t.name_en} for t in types],
        keys=signing.public_keys(festival),
        revoked=signing.revocation_list(festival),
        tickets=[
            {
                "id": t.id,
                "short_code": t.short_code,
                "name": t.attendee_name,
                "phone": t.phone,
                "ticket_type_id": t.ticket_type_id,
                "state": t.state,
                "days": type_days.get(t.ticket_type_id, []),
            }
            for t in page_items
        ],
    )


_SCAN_BODY = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "The QR text (EDT1:…) or a typed short code"},
        "short_code": {"type": "string"},
        "list_id": {"type": "integer"},
        "type": {"type": "string", "enum": ["entry", "exit"]},
        "scanned_at": {"type": "string", "format": "date-time"},
        "nonce": {"type": "string", "maxLength": 64},
        "local_status": {
            "type": "string",
            "description": "What the phone showed for an offline scan (ok = let in)",
        },
    },
}
_SCAN_RESULT = {
    "type": "object",
    "properties": {
        "nonce": {"type": "string"},
        "status": {
            "type": "string",
            "enum": [
                "ok",
                "already_checked_in",
                "unpaid",
                "revoked",
                "wrong_day",
                "wrong_list",
                "invalid",
            ],
        },
        "ticket": {"type": "object", "nullable": True},
        "first_scan": {"type": "object", "nullable": True},
        "scanned_at": {"type": "string", "format": "date-time"},
        "replayed": {"type": "boolean"},
        "clock_skew": {"type": "boolean"},
    },
}
openapi.add_tag("check-in", "Scanner devices: scans, offline queues, sync")
openapi.add_schema("ScanRequest", _SCAN_BODY)
openapi.add_schema("ScanResult", _SCAN_RESULT)
openapi.add_operation(
    "/checkin/scan",
    "post",
    {
        "operationId": "scanTicket",
        "summary": "Check a ticket in or out at this device's list",
        "tags": ["check-in"],
        "security": BEARER,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ScanRequest"}}
            },
        },
        "responses": {
            "200": json_response(
                "The answer for the gate", {"$ref": "#/components/schemas/ScanResult"}
            ),
            **error_refs(401, 403, 422),
        },
    },
)
openapi.add_operation(
    "/checkin/scans",
    "post",
    {
        "operationId": "uploadScans",
        "summary": "Upload queued offline scans (idempotent by nonce, original times kept)",
        "tags": ["check-in"],
        "security": BEARER,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "scans": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/ScanRequest"},
                            }
                        },
                    }
                }
            },
        },
        "responses": {
            "200": json_response("One answer per scan", {"type": "object"}),
            **error_refs(401, 422),
        },
    },
)
openapi.add_operation(
    "/checkin/sync",
    "get",
    {
        "operationId": "syncScanner",
        "summary": "Keys, revocations and the minimal ticket list for offline checking",
        "tags": ["check-in"],
        "security": BEARER,
        "parameters": [
            {
                "name": "since",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "format": "date-time"},
            },
            {
                "name": "after_id",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647},
            },
        ],
        "responses": {
            "200": json_response("What the scanner keeps offline", {"type": "object"}),
            **error_refs(401, 422),
        },
    },
)
