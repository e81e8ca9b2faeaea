"""The ``matchmaking`` blueprint: profiles and recommendations, meeting requests, sessions and
tables, batch scheduling, agendas and ICS feeds, attendance, feedback and outcomes. Routes live
in the modules imported at the end."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort

import pitches.views  # noqa: F401 - first: its demo hook runs before the matchmaking one
from eventday.extensions import db
from eventday.festivals.models import Festival
from matchmaking import models  # noqa: F401 - the models' tables in the metadata

bp = Blueprint("matchmaking", __name__, cli_group="matchmaking")


def festival_or_404(slug: str) -> Festival:
    """Any festival by slug, or 404 (permission checks are the caller's)."""
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
    if festival is None:
        abort(404)
    return festival


from matchmaking import (  # noqa: E402,F401 - each registers its routes on bp
    agenda_views,
    cli,
    demo,
    organizer_views,
    profile_views,
    request_views,
    setup_views,
)
