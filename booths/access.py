"""Who acts for an exhibitor: the members of its organisation (and site admins)."""

from __future__ import annotations

import sqlalchemy as sa

from booths.models import ExhibitorProfile
from eventday.accounts.models import OrganisationMember
from eventday.extensions import db


def profiles_for_user(user) -> list[ExhibitorProfile]:
    """The exhibitor profiles of the organisations the user belongs to, by name."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        db.session.scalars(
            sa.select(ExhibitorProfile)
            .join(
                OrganisationMember,
                OrganisationMember.organisation_id == ExhibitorProfile.organisation_id,
            )
            .where(OrganisationMember.user_id == user.id)
            .order_by(ExhibitorProfile.name_folded)
        )
    )


def can_act_for(user, exhibitor: ExhibitorProfile) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return (
        db.session.scalar(
            sa.select(OrganisationMember.id).where(
                OrganisationMember.organisation_id == exhibitor.organisation_id,
                OrganisationMember.user_id == user.id,
            )
        )
        is not None
    )
