"""Ticketing in the JSON API v1: public ticket types, signing keys and revocation lists;
orders and tickets for a festival's organizers and staff (bearer token).

Registered on ``eventday.api.bp`` when ``ticketing.views`` is imported; the OpenAPI document
gets its part from the ``openapi.add_*`` calls below.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from flask import jsonify, request
from sqlalchemy.orm import selectinload

from eventday.api import (
    BEARER,
    PAGE_PARAMETERS,
    SLUG_PARAMETER,
    api_festival_role,
    api_public,
    bp,
    choice_arg,
    datetime_arg,
    error_refs,
    iso,
    json_response,
    not_found,
    nullable,
    openapi,
    page,
    page_args,
    public_festival_or_404,
    ref,
    text_arg,
)
from eventday.db import utcnow
from eventday.extensions import db
from eventday.festivals.models import Festival
from ticketing import codes, signing
from ticketing import operations as ops
from ticketing.models import (
    ORDER_STATES,
    PAYMENT_METHODS,
    TICKET_STATES,
    Order,
    Ticket,
    TicketType,
)

ORGANIZER_ROLES = ("organizer", "staff")

SYNC_OVERLAP = dt.timedelta(minutes=5)

# --------------------------------------------------------------------------- serializers


def ticket_type_json(ticket_type: TicketType, available: int) -> dict:
    now = utcnow()
    on_sale = (
        ticket_type.festival.state == "published"
        and (ticket_type.sale_starts_at is None or ticket_type.sale_starts_at <= now)
        and (ticket_type.sale_ends_at is None or now < ticket_type.sale_ends_at)
    )
    return {
        "id": ticket_type.id,
        "name_vi": ticket_type.name_vi,
        "name_en": ticket_type.name_en,
        "description_vi": ticket_type.description_vi,
        "description_en": ticket_type.description_en,
        "price_vnd": ticket_type.price_vnd,
        "currency": "VND",
        "is_free": ticket_type.is_free,
        "quota": ticket_type.quota,
        "available": available,
        "sold_out": available == 0,
        "on_sale": on_sale,
        "sale_starts_at": iso(ticket_type.sale_starts_at),
        "sale_ends_at": iso(ticket_type.sale_ends_at),
        "max_per_order": ticket_type.max_per_order,
        "requires_approval": ticket_type.requires_approval,
        "days": [iso(d.day) for d in ticket_type.days],
        "group_ids": [g.id for g in ticket_type.groups],
    }


def ticket_json(ticket: Ticket) -> dict:
    return {
        "id": ticket.id,
        "short_code": ticket.short_code,
        "state": ticket.state,
        "ticket_type_id": ticket.ticket_type_id,
        "order_code": ticket.order.code,
        "attendee_name": ticket.attendee_name,
        "email": ticket.email,
        "phone": ticket.phone,
        "participant_group_id": ticket.participant_group_id,
        "home_area_id": ticket.home_area_id,
        "locale": ticket.locale,
        "created_at": iso(ticket.created_at),
        "issued_at": iso(ticket.issued_at),
        "revoked_at": iso(ticket.revoked_at),
    }


def order_json(order: Order) -> dict:
    return {
        "code": order.code,
        "state": order.state,
        "payment_method": order.payment_method,
        "total_vnd": order.total_vnd,
        "paid_vnd": order.paid_vnd,
        "currency": "VND",
        "buyer_name": order.buyer_name,
        "buyer_email": order.buyer_email,
        "buyer_phone": order.buyer_phone,
        "locale": order.locale,
        "source": order.source,
        "created_at": iso(order.created_at),
        "expires_at": iso(order.expires_at),
        "paid_at": iso(order.paid_at),
        "cancelled_at": iso(order.cancelled_at),
        "lines": [
            {
                "kind": line.kind,
                "ticket_type_id": line.ticket_type_id,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price_vnd": line.unit_price_vnd,
                "amount_vnd": line.amount_vnd,
            }
            for line in order.lines
        ],
        "ticket_count": len(order.tickets),
    }


def order_detail_json(order: Order) -> dict:
    return {
        **order_json(order),
        "note": order.note,
        "tickets": [ticket_json(t) for t in order.tickets],
        "payments": [
            {
                "provider": p.provider,
                "state": p.state,
                "amount_vnd": p.amount_vnd,
                "created_at": iso(p.created_at),
                "confirmed_at": iso(p.confirmed_at),
            }
            for p in order.payments
        ],
    }


# --------------------------------------------------------------------------- queries


_ORDER_LOADS = (selectinload(Order.lines), selectinload(Order.tickets))


def _conditional_json(payload: dict, *, cache_control: str):
    """JSON with a strong ETag; a matching If-None-Match gets 304 (scanners poll these)."""
    response = jsonify(payload)
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


# --------------------------------------------------------------------------- views


@bp.get("/festivals/<slug>/ticket-types")
@api_public
def list_ticket_types(slug: str):
    festival = public_festival_or_404(slug)
    ops.release_expired(festival)  # expired holds are released on read
    db.session.commit()
    types = db.session.scalars(
        sa.select(TicketType)
        .where(TicketType.festival_id == festival.id, TicketType.is_hidden.is_(False))
        .options(selectinload(TicketType.days), selectinload(TicketType.groups))
        .order_by(TicketType.position, TicketType.id)
    ).all()
    return jsonify(items=[ticket_type_json(t, ops.available(t)) for t in types])


@bp.get("/festivals/<slug>/keys")
@api_public
def list_keys(slug: str):
    festival = public_festival_or_404(slug)
    return _conditional_json(
        {"festival_id": festival.id, "keys": signing.public_keys(festival)},
        cache_control="public, max-age=300",
    )


@bp.get("/festivals/<slug>/revocations")
@api_public
def list_revocations(slug: str):
    festival = public_festival_or_404(slug)
    ids = signing.revocation_list(festival)
    return _conditional_json(
        {"festival_id": festival.id, "ticket_ids": ids, "count": len(ids)},
        cache_control="no-cache",
    )


@bp.get("/festivals/<slug>/orders")
@api_festival_role(*ORGANIZER_ROLES)
def list_orders(festival: Festival):
    state = choice_arg("state", ORDER_STATES)
    q = text_arg("q")
    limit, offset = page_args()
    ops.release_expired(festival)
    db.session.commit()
    stmt = ops.search_orders(festival, q, state=state).options(*_ORDER_LOADS)
    return jsonify(page(stmt, order_json, limit=limit, offset=offset))


@bp.get("/festivals/<slug>/orders/<code>")
@api_festival_role(*ORGANIZER_ROLES)
def get_order(festival: Festival, code: str):
    if len(code) > 20:
        raise not_found()
    order = db.session.scalar(
        sa.select(Order)
        .where(Order.festival_id == festival.id, Order.code == codes.normalize_code(code))
        .options(*_ORDER_LOADS, selectinload(Order.payments))
    )
    if order is None:
        raise not_found()
    return jsonify(order_detail_json(order))


@bp.get("/festivals/<slug>/tickets")
@api_festival_role(*ORGANIZER_ROLES)
def list_festival_tickets(festival: Festival):
    # A little in the past: a transaction that wrote updated_at before now but commits after
    # this query is sent again next time (clients de-duplicate by ticket id).
    synced_at = utcnow() - SYNC_OVERLAP
    since = datetime_arg("since")
    state = choice_arg("state", TICKET_STATES)
    limit, offset = page_args()
    stmt = sa.select(Ticket).where(Ticket.festival_id == festival.id)
    if since is not None:
        stmt = stmt.where(Ticket.updated_at > since)
    if state is not None:
        stmt = stmt.where(Ticket.state == state)
    stmt = stmt.options(selectinload(Ticket.order)).order_by(Ticket.id)
    result = page(stmt, ticket_json, limit=limit, offset=offset)
    result["synced_at"] = iso(synced_at)
    return jsonify(result)


# --------------------------------------------------------------------------- OpenAPI

_DATETIME = {"type": "string", "format": "date-time"}
_MONEY = {"type": "integer", "minimum": 0, "description": "Integer đồng (VND)."}


def _object(properties: dict) -> dict:
    return {"type": "object", "required": list(properties), "properties": properties}


openapi.add_tag("ticketing", "Ticket types, signing keys and revocation lists (public).")
openapi.add_tag("organizers", "Orders and tickets of a festival (organizer or staff token).")
openapi.add_schema(
    "TicketType",
    _object(
        {
            "id": {"type": "integer"},
            "name_vi": {"type": "string"},
            "name_en": nullable({"type": "string"}),
            "description_vi": {"type": "string"},
            "description_en": {"type": "string"},
            "price_vnd": _MONEY,
            "currency": {"type": "string", "enum": ["VND"]},
            "is_free": {"type": "boolean"},
            "quota": {"type": "integer", "minimum": 0},
            "available": {"type": "integer", "minimum": 0},
            "sold_out": {"type": "boolean"},
            "on_sale": {"type": "boolean"},
            "sale_starts_at": nullable(_DATETIME),
            "sale_ends_at": nullable(_DATETIME),
            "max_per_order": {"type": "integer", "minimum": 1},
            "requires_approval": {"type": "boolean"},
            "days": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
                "description": "Days admitted; empty means every festival day.",
            },
            "group_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Participant groups allowed; empty means everyone.",
            },
        }
    ),
)
openapi.add_schema(
    "Ticket",
    _object(
        {
            "id": {"type": "integer", "description": "The ticket id signed into its QR code."},
            "short_code": {"type": "string", "minLength": 8, "maxLength": 8},
            "state": {"type": "string", "enum": list(TICKET_STATES)},
            "ticket_type_id": {"type": "integer"},
            "order_code": {"type": "string"},
            "attendee_name": {"type": "string"},
            "email": nullable({"type": "string"}),
            "phone": nullable({"type": "string"}),
            "participant_group_id": nullable({"type": "integer"}),
            "home_area_id": nullable({"type": "integer"}),
            "locale": {"type": "string", "enum": ["vi", "en"]},
            "created_at": _DATETIME,
            "issued_at": nullable(_DATETIME),
            "revoked_at": nullable(_DATETIME),
        }
    ),
)
_ORDER_PROPERTIES = {
    "code": {"type": "string"},
    "state": {"type": "string", "enum": list(ORDER_STATES)},
    "payment_method": {"type": "string", "enum": list(PAYMENT_METHODS)},
    "total_vnd": _MONEY,
    "paid_vnd": _MONEY,
    "currency": {"type": "string", "enum": ["VND"]},
    "buyer_name": {"type": "string"},
    "buyer_email": nullable({"type": "string"}),
    "buyer_phone": nullable({"type": "string"}),
    "locale": {"type": "string", "enum": ["vi", "en"]},
    "source": {"type": "string"},
    "created_at": _DATETIME,
    "expires_at": nullable(_DATETIME),
    "paid_at": nullable(_DATETIME),
    "cancelled_at": nullable(_DATETIME),
    "lines": {
        "type": "array",
        "items": _object(
            {
                "kind": {"type": "string"},
                "ticket_type_id": nullable({"type": "integer"}),
                "description": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 1},
                "unit_price_vnd": _MONEY,
                "amount_vnd": _MONEY,
            }
        ),
    },
    "ticket_count": {"type": "integer", "minimum": 0},
}
openapi.add_schema("Order", _object(_ORDER_PROPERTIES))
openapi.add_schema(
    "OrderDetail",
    {
        "allOf": [
            ref("Order"),
            _object(
                {
                    "note": {"type": "string"},
                    "tickets": {"type": "array", "items": ref("Ticket")},
                    "payments": {
                        "type": "array",
                        "items": _object(
                            {
                                "provider": {"type": "string", "enum": list(PAYMENT_METHODS)},
                                "state": {"type": "string"},
                                "amount_vnd": _MONEY,
                                "created_at": _DATETIME,
                                "confirmed_at": nullable(_DATETIME),
                            }
                        ),
                    },
                }
            ),
        ]
    },
)
_PAGE = {
    "total": {"type": "integer", "minimum": 0},
    "limit": {"type": "integer", "minimum": 1},
    "offset": {"type": "integer", "minimum": 0},
}
openapi.add_schema(
    "OrderPage", _object({"items": {"type": "array", "items": ref("Order")}, **_PAGE})
)
openapi.add_schema(
    "TicketPage",
    _object(
        {
            "items": {"type": "array", "items": ref("Ticket")},
            **_PAGE,
            "synced_at": {
                **_DATETIME,
                "description": "Pass it as `since` next time to get only what changed.",
            },
        }
    ),
)
openapi.add_schema(
    "PublicKeys",
    _object(
        {
            "festival_id": {"type": "integer"},
            "keys": {
                "type": "array",
                "items": _object(
                    {
                        "key_id": {"type": "integer", "description": "As in the QR payload."},
                        "public_key": {
                            "type": "string",
                            "description": "Raw 32-byte Ed25519 key, base64url without padding.",
                        },
                        "alg": {"type": "string", "enum": ["Ed25519"]},
                        "active": {
                            "type": "boolean",
                            "description": "False for retired keys: their tickets still verify.",
                        },
                    }
                ),
            },
        }
    ),
)
openapi.add_schema(
    "RevocationList",
    _object(
        {
            "festival_id": {"type": "integer"},
            "ticket_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Cancelled and refunded tickets, ascending. Ids only.",
            },
            "count": {"type": "integer", "minimum": 0},
        }
    ),
)

_NOT_MODIFIED = {"304": {"description": "Unchanged since the ETag given in If-None-Match."}}

openapi.add_operation(
    "/festivals/{slug}/ticket-types",
    "get",
    {
        "operationId": "listTicketTypes",
        "summary": "Ticket types on offer, with the places left",
        "tags": ["ticketing"],
        "parameters": [SLUG_PARAMETER],
        "responses": {
            "200": json_response(
                "The festival's ticket types (hidden, invitation-only types are left out).",
                _object({"items": {"type": "array", "items": ref("TicketType")}}),
            ),
            **error_refs(404),
        },
    },
)
openapi.add_operation(
    "/festivals/{slug}/keys",
    "get",
    {
        "operationId": "listSigningKeys",
        "summary": "Public keys that verify the festival's ticket QR codes offline",
        "tags": ["ticketing"],
        "parameters": [SLUG_PARAMETER],
        "responses": {
            "200": json_response("Every key, retired ones included.", ref("PublicKeys")),
            **_NOT_MODIFIED,
            **error_refs(404),
        },
    },
)
openapi.add_operation(
    "/festivals/{slug}/revocations",
    "get",
    {
        "operationId": "listRevokedTickets",
        "summary": "Ids of cancelled and refunded tickets (no personal data)",
        "tags": ["ticketing"],
        "parameters": [SLUG_PARAMETER],
        "responses": {
            "200": json_response("The revocation list.", ref("RevocationList")),
            **_NOT_MODIFIED,
            **error_refs(404),
        },
    },
)
openapi.add_operation(
    "/festivals/{slug}/orders",
    "get",
    {
        "operationId": "listOrders",
        "summary": "The festival's orders, newest first",
        "tags": ["organizers"],
        "security": BEARER,
        "parameters": [
            SLUG_PARAMETER,
            {
                "name": "state",
                "in": "query",
                "schema": {"type": "string", "enum": list(ORDER_STATES)},
            },
            {
                "name": "q",
                "in": "query",
                "description": (
                    "Order code, ticket code, attendee name (diacritics ignored), email or "
                    "phone digits."
                ),
                "schema": {"type": "string", "maxLength": 200},
            },
            *PAGE_PARAMETERS,
        ],
        "responses": {
            "200": json_response("A page of orders.", ref("OrderPage")),
            **error_refs(401, 403, 404, 422),
        },
    },
)
openapi.add_operation(
    "/festivals/{slug}/orders/{code}",
    "get",
    {
        "operationId": "getOrder",
        "summary": "One order with its tickets and payments",
        "tags": ["organizers"],
        "security": BEARER,
        "parameters": [
            SLUG_PARAMETER,
            {
                "name": "code",
                "in": "path",
                "required": True,
                "description": "The order code, e.g. DH4KQ7XA.",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,20}$"},
            },
        ],
        "responses": {
            "200": json_response("The order.", ref("OrderDetail")),
            **error_refs(401, 403, 404),
        },
    },
)
openapi.add_operation(
    "/festivals/{slug}/tickets",
    "get",
    {
        "operationId": "listTickets",
        "summary": "The festival's tickets by id, for check-in devices and exports",
        "description": (
            "With `since`, only tickets changed after that moment (created, paid, renamed, "
            "cancelled, refunded, released): page through with the same `since`, then use the "
            "first page's `synced_at` as the next `since`."
        ),
        "tags": ["organizers"],
        "security": BEARER,
        "parameters": [
            SLUG_PARAMETER,
            {
                "name": "since",
                "in": "query",
                "description": "ISO 8601 date-time; without an offset it is UTC.",
                "schema": {"type": "string", "format": "date-time"},
            },
            {
                "name": "state",
                "in": "query",
                "schema": {"type": "string", "enum": list(TICKET_STATES)},
            },
            *PAGE_PARAMETERS,
        ],
        "responses": {
            "200": json_response("A page of tickets.", ref("TicketPage")),
            **error_refs(401, 403, 404, 422),
        },
    },
)
