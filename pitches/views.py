"""The ``pitches`` blueprint: the call for pitches and applications, judging, the stage
programme and its public pages, the projector, audience vote and awards. Routes live in the
modules imported at the end."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort

import booths.views  # noqa: F401 - first: its demo hook runs before the pitches'
from eventday.extensions import db
from eventday.festivals.models import Festival
from pitches import models  # noqa: F401 - the models' tables in the metadata

bp = Blueprint("pitches", __name__, cli_group="pitches")


def public_festival(slug: str) -> Festival:
    """A festival visitors may see (published, closed or archived), or 404."""
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
    if festival is None or not festival.is_public:
        abort(404)
    return festival


from pitches import (  # noqa: E402,F401 - each registers its routes on bp
    call_views,
    demo,
    judging_views,
    programme_views,
    schedule_views,
)
