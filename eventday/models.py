"""Imports every model of the core so the metadata is complete (Alembic, tests)."""

from eventday.accounts.models import ApiToken, Organisation, OrganisationMember, User
from eventday.areas.models import Area, AreaLineage
from eventday.festivals.models import (
    CoorganizerInvitation,
    Festival,
    FestivalDay,
    FestivalHost,
    FestivalRole,
    ParticipantGroup,
    Stage,
)
from eventday.mail import OutboxMail

__all__ = [
    "ApiToken",
    "Area",
    "AreaLineage",
    "CoorganizerInvitation",
    "Festival",
    "FestivalDay",
    "FestivalHost",
    "FestivalRole",
    "Organisation",
    "OrganisationMember",
    "OutboxMail",
    "ParticipantGroup",
    "Stage",
    "User",
]
