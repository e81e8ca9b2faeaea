"""Area picker endpoint."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request

from eventday.areas.operations import search_areas
from eventday.areas.util import LEVEL_LABELS
from eventday.i18n import LOCAL_TZ
from eventday.permissions import public

bp = Blueprint("areas", __name__, url_prefix="/areas")


def area_json(area) -> dict:
    return {
        "id": area.id,
        "code": area.code,
        "name": area.name,
        "label": area.path_name,
        "level": area.level,
        "level_label": str(LEVEL_LABELS[area.level]),
        "current": area.is_current,
        "valid_to": area.valid_to.isoformat() if area.valid_to else None,
    }


@bp.get("/search")
@public
def search():
    """JSON for the area picker: ?q=tay giang[&current=1][&level=commune]."""
    query = request.args.get("q", "")[:100]
    on = dt.datetime.now(LOCAL_TZ).date() if request.args.get("current") == "1" else None
    levels = tuple(v for v in request.args.getlist("level") if v)
    areas = search_areas(query, on=on, levels=levels or None, limit=20) if query.strip() else []
    return jsonify([area_json(a) for a in areas])
