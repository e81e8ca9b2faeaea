"""Who may do what: site admins and per-festival roles, with view decorators."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from eventday.extensions import db
from eventday.festivals.models import Festival, FestivalRole


def public(view):
    """Declare a view open to anonymous visitors (the access test checks every other view)."""
    view.is_public = True
    return view


def user_roles(user, festival: Festival) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            sa.select(FestivalRole.role).where(
                FestivalRole.festival_id == festival.id, FestivalRole.user_id == user.id
            )
        )
    )


def has_festival_role(user, festival: Festival, *roles: str) -> bool:
    """True for site admins and for holders of any of ``roles`` in ``festival``."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return bool(user_roles(user, festival) & set(roles))


def can_manage(user, festival: Festival) -> bool:
    return has_festival_role(user, festival, "organizer")


def admin_required(view):
    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def festival_role_required(*roles: str):
    """Load the festival from the ``slug`` URL argument (404 if none), then require a role.

    The view receives ``festival`` instead of ``slug``.
    """

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, slug: str, **kwargs):
            festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug))
            if festival is None:
                abort(404)
            if not has_festival_role(current_user, festival, *roles):
                abort(403)
            return view(*args, festival=festival, **kwargs)

        return wrapper

    return decorator


organizer_required = festival_role_required("organizer")
