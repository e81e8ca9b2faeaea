"""The ``booths`` blueprint: floor plans, booth booking, exhibitor profiles and products, the
public directory and map, organizer tools and lead capture. Routes live in the modules imported
at the end; shared helpers here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort

import ticketing.views  # noqa: F401 - first: its demo hook (tickets) runs before the booths'
from booths import models  # noqa: F401 - the models' tables in the metadata
from eventday.extensions import db
from eventday.festivals.models import Festival

bp = Blueprint("booths", __name__, cli_group="booths")


def public_festival(slug: str) -> Festival:
    """A festival visitors may see (published, closed or archived), or 404."""
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
    if festival is None or not festival.is_public:
        abort(404)
    return festival


from booths import (  # noqa: E402,F401 - each registers its routes on bp
    booking_views,
    demo,
    directory_views,
    exhibitor_views,
    lead_views,
    organizer_views,
    plan_views,
)
