"""Small helpers the matchmaking views share: ids from the URL are checked against the id
column's range before they reach the database (SQLite overflows above 2**63, PostgreSQL
refuses anything beyond its integer column), so a huge id is a 404 and not a 500."""

from __future__ import annotations

from flask import abort

from eventday.api import MAX_ID
from eventday.extensions import db


def valid_id(value) -> bool:
    """Whether ``value`` can be the id of a row (a positive integer the column can hold)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def check_id(value) -> int:
    """``value`` if it can be a row's id, else 404."""
    if not valid_id(value):
        abort(404)
    return value


def get_or_404(model, object_id, **filters):
    """The ``model`` row with this id whose attributes equal ``filters``, else 404 (a missing
    row, an id out of range and a row of someone else all look the same)."""
    obj = db.session.get(model, check_id(object_id))
    if obj is None or any(getattr(obj, name) != value for name, value in filters.items()):
        abort(404)
    return obj
