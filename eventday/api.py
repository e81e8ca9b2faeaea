"""JSON API v1 (``/api/v1``): token authentication, JSON errors, the OpenAPI document and
public festivals.

Authentication is ``Authorization: Bearer <token>`` with a personal token from the profile's
"API tokens" page (``eventday.accounts.tokens``) — nothing else. Session cookies are never used
to authenticate an API request, so a browser cannot be tricked into making an authenticated
call: that is why the blueprint is exempt from CSRF protection, and why any unsafe method
(POST, PUT, PATCH, DELETE) on it is refused unless it carries a bearer token.

Errors are ``{"error": {"code": ..., "message": ...}}`` with a translated message (the
request's language: Accept-Language, Vietnamese by default) and a stable machine ``code``.

Feature packages add their routes to ``bp`` and describe them in ``openapi`` at import (the
core never imports them): ``openapi.add_schema(name, schema)`` and
``openapi.add_operation(path, method, operation)`` with a path relative to ``/api/v1``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from eventday.accounts.models import User
from eventday.areas.models import Area
from eventday.areas.operations import areas_covering
from eventday.db import utcnow
from eventday.extensions import csrf, db
from eventday.festivals.models import PUBLIC_STATES, Festival, FestivalDay, FestivalHost
from eventday.permissions import has_festival_role
from eventday.util import external_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated only (see the module docstring); unsafe methods need a bearer token.
csrf.exempt(bp)

API_VERSION = "1.0.0"
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_OFFSET = 1_000_000
MAX_ID = 2**31 - 1
# Refresh ApiToken.last_used_at at most this often: not one write per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if field:
        body["field"] = field
    response = jsonify(error=body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found."))


def invalid_parameter(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_parameter", message, field=field)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, field=exc.field, headers=exc.headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """``abort()`` inside an API view still answers in the API's error format."""
    status = exc.code or 500
    messages = {
        400: ("bad_request", _("The request could not be understood.")),
        401: ("unauthorized", _("Authentication is required.")),
        403: ("forbidden", _("Your token does not allow this.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
    }
    code, message = messages.get(status, ("error", _("The request could not be completed.")))
    return error_response(status, code, message)


@bp.errorhandler(500)
def _server_error(exc):
    db.session.rollback()
    return error_response(500, "server_error", _("An unexpected error happened. Please try again."))


# --------------------------------------------------------------------------- authentication


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate() -> User:
    """The user behind the request's bearer token; ApiError 401 if there is none that works.

    Only the Authorization header counts: a session cookie is ignored.
    """
    from eventday.accounts.tokens import find_active_token

    plaintext = _bearer_token()
    if plaintext is None:
        raise ApiError(
            401,
            "unauthorized",
            _("Authentication is required: send an API token as “Authorization: Bearer …”."),
            headers={"WWW-Authenticate": 'Bearer realm="eventday"'},
        )
    token = find_active_token(plaintext)
    user = token.user if token is not None else None
    if token is None or user is None or not user.is_active:
        raise ApiError(
            401,
            "invalid_token",
            _("This API token is not valid or has been revoked."),
            headers={"WWW-Authenticate": 'Bearer realm="eventday", error="invalid_token"'},
        )
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    g.api_user = user
    g.api_token = token
    return user


def current_api_user() -> User | None:
    """The token's user in a view guarded by ``api_festival_role`` (or after ``authenticate``)."""
    return g.get("api_user")


@bp.before_request
def _unsafe_methods_need_a_token():
    # CSRF is off for this blueprint because cookies do not authenticate here: make sure no
    # future write endpoint can be reached without a credential of its own.
    if request.method not in ("GET", "HEAD", "OPTIONS") and _bearer_token() is None:
        authenticate()


# --------------------------------------------------------------------------- decorators


def api_public(view):
    """Declare an API view open without a token (the access test checks every other view)."""
    view.is_public = True
    return view


def find_festival(slug: str) -> Festival | None:
    if not _SLUG_RE.fullmatch(slug):
        return None
    return db.session.scalar(sa.select(Festival).where(Festival.slug == slug))


def public_festival_or_404(slug: str) -> Festival:
    """A published or closed festival by slug, else ApiError 404 (drafts are not public)."""
    festival = find_festival(slug)
    if festival is None or not festival.is_public:
        raise not_found()
    return festival


def api_festival_role(*roles: str):
    """Require a bearer token whose user holds one of ``roles`` in the festival named by the
    ``slug`` URL argument (site admins pass). 401 without a valid token, 404 for an unknown
    festival, 403 without the role. The view receives ``festival`` instead of ``slug``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, slug: str, **kwargs):
            user = authenticate()
            festival = find_festival(slug)
            if festival is None:
                raise not_found()
            if not has_festival_role(user, festival, *roles):
                raise ApiError(
                    403,
                    "forbidden",
                    _("Your token does not give access to this festival's data."),
                )
            return view(*args, festival=festival, **kwargs)

        wrapper.is_public = False  # never inherit a marker from a wrongly stacked decorator
        wrapper.api_roles = roles
        return wrapper

    return decorator


# --------------------------------------------------------------------------- query parameters


def int_arg(name: str, default: int | None, *, minimum: int = 0, maximum: int = MAX_ID):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", raw.strip()):
        raise invalid_parameter(name, _("Expected a whole number."))
    value = int(raw)
    if not minimum <= value <= maximum:
        raise invalid_parameter(
            name, _("Expected a number from %(min)s to %(max)s.", min=minimum, max=maximum)
        )
    return value


def choice_arg(name: str, allowed: Iterable[str]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise invalid_parameter(name, _("Expected one of: %(values)s.", values=", ".join(allowed)))
    return raw


def text_arg(name: str, *, max_length: int = 200) -> str:
    raw = request.args.get(name, "")
    if len(raw) > max_length or "\x00" in raw:
        raise invalid_parameter(name, _("Expected at most %(n)s characters of text.", n=max_length))
    return raw.strip()


def datetime_arg(name: str) -> dt.datetime | None:
    """An ISO 8601 date-time (``Z`` or an offset; none means UTC), as a UTC datetime."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) > 40:
            raise ValueError(raw)
        value = dt.datetime.fromisoformat(raw)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise invalid_parameter(
            name, _("Expected a date and time such as 2026-11-28T08:00:00+07:00.")
        ) from exc


def page_args() -> tuple[int, int]:
    """``limit`` (1–100, default 20) and ``offset`` (0–1,000,000)."""
    limit = int_arg("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    offset = int_arg("offset", 0, minimum=0, maximum=MAX_OFFSET)
    return limit, offset


def page(stmt: sa.Select, serialize: Callable[[Any], dict], *, limit: int, offset: int) -> dict:
    """One page of ``stmt`` (already ordered) with the total count of matching rows."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    items = db.session.scalars(stmt.limit(limit).offset(offset)).all()
    return {
        "items": [serialize(item) for item in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def iso(value: dt.datetime | dt.date | dt.time | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value.isoformat()


# --------------------------------------------------------------------------- OpenAPI registry


class OpenApiRegistry:
    """Paths and schemas of the OpenAPI document; feature packages add theirs at import."""

    def __init__(self) -> None:
        self.paths: dict[str, dict[str, dict]] = {}
        self.schemas: dict[str, dict] = {}
        self.tags: dict[str, str] = {}

    def add_schema(self, name: str, schema: dict) -> None:
        if self.schemas.get(name, schema) != schema:
            raise ValueError(f"OpenAPI schema {name!r} registered twice, differently")
        self.schemas[name] = schema

    def add_tag(self, name: str, description: str) -> None:
        self.tags[name] = description

    def add_operation(self, path: str, method: str, operation: dict) -> None:
        methods = self.paths.setdefault(path, {})
        if methods.get(method, operation) != operation:
            raise ValueError(f"OpenAPI operation {method.upper()} {path} registered twice")
        methods[method] = operation

    def document(self) -> dict:
        return {
            "openapi": "3.0.3",
            "info": {
                "title": "EventDay API",
                "version": API_VERSION,
                "description": (
                    "Festivals, ticket types, orders and tickets of EventDay. Public operations "
                    "need no credentials. The others need a personal API token (profile → API "
                    "tokens) sent as `Authorization: Bearer <token>`; cookies are never used "
                    "for authentication. Money is in integer đồng (VND, no decimals). Errors "
                    'are `{"error": {"code": ..., "message": ...}}`, the message in the '
                    "language of Accept-Language (Vietnamese by default)."
                ),
            },
            "servers": [{"url": "/api/v1"}],
            "tags": [{"name": n, "description": d} for n, d in sorted(self.tags.items())],
            "paths": {path: dict(self.paths[path]) for path in sorted(self.paths)},
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "edt_…"}
                },
                "schemas": dict(sorted(self.schemas.items())),
                "responses": {
                    name: {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
                    for name, description in ERROR_RESPONSES.items()
                },
            },
        }


ERROR_RESPONSES = {
    "Unauthorized": "No API token, or one that is unknown or revoked.",
    "Forbidden": "The token's user has no role that allows this in the festival.",
    "NotFound": "No such festival (or order); drafts are not public.",
    "InvalidParameter": "A query parameter is malformed or out of range.",
}
_RESPONSE_FOR_STATUS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    422: "InvalidParameter",
}

openapi = OpenApiRegistry()


# Helpers for the operation objects, used by feature packages too.


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_refs(*statuses: int) -> dict:
    return {
        str(status): {"$ref": f"#/components/responses/{_RESPONSE_FOR_STATUS[status]}"}
        for status in statuses
    }


def page_of(item: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "total": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "offset": {"type": "integer", "minimum": 0},
        },
    }


SLUG_PARAMETER = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The festival's slug, as in its page address /f/<slug>.",
    "schema": {"type": "string", "maxLength": 80, "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
}
PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "description": "Page size.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20},
    },
    {
        "name": "offset",
        "in": "query",
        "description": "How many items to skip.",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
    },
]
BEARER = [{"bearerAuth": []}]

_DATE = {"type": "string", "format": "date"}
_DATETIME = {"type": "string", "format": "date-time"}

openapi.add_schema(
    "Error",
    {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "not_found"},
                    "message": {"type": "string", "description": "Translated, for people."},
                    "field": {"type": "string", "description": "The parameter at fault."},
                },
            }
        },
    },
)
openapi.add_schema(
    "FestivalDay",
    {
        "type": "object",
        "required": ["date", "starts_at", "ends_at"],
        "properties": {
            "date": _DATE,
            "starts_at": {"type": "string", "example": "08:00", "description": "Local time."},
            "ends_at": {"type": "string", "example": "17:00", "description": "Local time."},
        },
    },
)
openapi.add_schema(
    "FestivalHost",
    {
        "type": "object",
        "required": ["area_id", "name", "is_lead"],
        "properties": {
            "area_id": {"type": "integer"},
            "name": {"type": "string"},
            "is_lead": {"type": "boolean"},
        },
    },
)
_FESTIVAL_PROPERTIES = {
    "id": {"type": "integer", "description": "The festival id signed into ticket QR codes."},
    "slug": {"type": "string"},
    "name_vi": {"type": "string"},
    "name_en": nullable({"type": "string"}),
    "state": {"type": "string", "enum": list(PUBLIC_STATES)},
    "url": {"type": "string", "format": "uri"},
    "scope": {"type": "string"},
    "first_day": nullable(_DATE),
    "last_day": nullable(_DATE),
    "days": {"type": "array", "items": ref("FestivalDay")},
    "hosts": {"type": "array", "items": ref("FestivalHost")},
    "venue_name": {"type": "string"},
    "venue_address": {"type": "string"},
    "latitude": nullable({"type": "number"}),
    "longitude": nullable({"type": "number"}),
    "published_at": nullable(_DATETIME),
}
openapi.add_schema(
    "Festival",
    {
        "type": "object",
        "required": list(_FESTIVAL_PROPERTIES),
        "properties": _FESTIVAL_PROPERTIES,
    },
)
_NAMED = {
    "type": "object",
    "required": ["id", "name_vi", "name_en"],
    "properties": {
        "id": {"type": "integer"},
        "name_vi": {"type": "string"},
        "name_en": nullable({"type": "string"}),
    },
}
openapi.add_schema(
    "FestivalDetail",
    {
        "allOf": [
            ref("Festival"),
            {
                "type": "object",
                "required": ["description_vi", "description_en", "groups", "stages"],
                "properties": {
                    "description_vi": {"type": "string", "description": "Markdown."},
                    "description_en": {"type": "string", "description": "Markdown."},
                    "groups": {
                        "type": "array",
                        "items": {
                            **_NAMED,
                            "required": [*_NAMED["required"], "kind"],
                            "properties": {**_NAMED["properties"], "kind": {"type": "string"}},
                        },
                    },
                    "stages": {
                        "type": "array",
                        "items": {
                            **_NAMED,
                            "required": [*_NAMED["required"], "capacity"],
                            "properties": {
                                **_NAMED["properties"],
                                "capacity": nullable({"type": "integer"}),
                            },
                        },
                    },
                },
            },
        ]
    },
)
openapi.add_schema("FestivalPage", page_of("Festival"))
openapi.add_tag("festivals", "Published festivals (public).")

openapi.add_operation(
    "/openapi.json",
    "get",
    {
        "operationId": "getOpenApiDocument",
        "summary": "This document",
        "tags": ["meta"],
        "responses": {
            "200": json_response("The OpenAPI 3 document.", {"type": "object"}),
        },
    },
)
openapi.add_tag("meta", "About the API itself.")
openapi.add_operation(
    "/festivals",
    "get",
    {
        "operationId": "listFestivals",
        "summary": "Published and closed festivals, newest first",
        "tags": ["festivals"],
        "parameters": [
            {
                "name": "area",
                "in": "query",
                "description": (
                    "An area id (province, district or commune): festivals hosted in it, its "
                    "sub-areas, and the areas it was merged into or split from."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            },
            *PAGE_PARAMETERS,
        ],
        "responses": {
            "200": json_response("A page of festivals.", ref("FestivalPage")),
            **error_refs(422),
        },
    },
)
openapi.add_operation(
    "/festivals/{slug}",
    "get",
    {
        "operationId": "getFestival",
        "summary": "One published or closed festival",
        "tags": ["festivals"],
        "parameters": [SLUG_PARAMETER],
        "responses": {
            "200": json_response("The festival.", ref("FestivalDetail")),
            **error_refs(404),
        },
    },
)


# --------------------------------------------------------------------------- serializers


def festival_json(festival: Festival) -> dict:
    return {
        "id": festival.id,
        "slug": festival.slug,
        "name_vi": festival.name_vi,
        "name_en": festival.name_en,
        "state": festival.state,
        "url": external_url("festivals.show", slug=festival.slug),
        "scope": festival.scope,
        "first_day": iso(festival.first_day),
        "last_day": iso(festival.last_day),
        "days": [
            {"date": iso(d.day), "starts_at": iso(d.starts_at), "ends_at": iso(d.ends_at)}
            for d in festival.days
        ],
        "hosts": [
            {"area_id": h.area_id, "name": h.area_label, "is_lead": h.is_lead}
            for h in festival.hosts
        ],
        "venue_name": festival.venue_name,
        "venue_address": festival.venue_address,
        "latitude": festival.latitude,
        "longitude": festival.longitude,
        "published_at": iso(festival.published_at),
    }


def festival_detail_json(festival: Festival) -> dict:
    return {
        **festival_json(festival),
        "description_vi": festival.description_vi,
        "description_en": festival.description_en,
        "groups": [
            {"id": g.id, "kind": g.kind, "name_vi": g.name_vi, "name_en": g.name_en}
            for g in festival.groups
        ],
        "stages": [
            {"id": s.id, "name_vi": s.name_vi, "name_en": s.name_en, "capacity": s.capacity}
            for s in festival.stages
        ],
    }


# --------------------------------------------------------------------------- views


@bp.get("/openapi.json")
@api_public
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/festivals")
@api_public
def list_festivals():
    area_id = int_arg("area", None, minimum=1)
    limit, offset = page_args()
    first_day = (
        sa.select(sa.func.min(FestivalDay.day))
        .where(FestivalDay.festival_id == Festival.id)
        .scalar_subquery()
    )
    stmt = sa.select(Festival).where(Festival.state.in_(PUBLIC_STATES))
    if area_id is not None:
        area = db.session.get(Area, area_id)
        if area is None:
            raise invalid_parameter("area", _("Unknown area."))
        covered = [a.id for a in areas_covering(area)]
        stmt = stmt.where(
            sa.exists().where(
                FestivalHost.festival_id == Festival.id, FestivalHost.area_id.in_(covered)
            )
        )
    stmt = stmt.options(
        selectinload(Festival.hosts).selectinload(FestivalHost.area),
        selectinload(Festival.days),
    ).order_by(first_day.desc(), Festival.id.desc())
    return jsonify(page(stmt, festival_json, limit=limit, offset=offset))


@bp.get("/festivals/<slug>")
@api_public
def get_festival(slug: str):
    return jsonify(festival_detail_json(public_festival_or_404(slug)))
