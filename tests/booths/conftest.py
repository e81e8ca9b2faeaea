"""Fixtures shared by the booths tests: an exhibitor (an organisation with a member and a
profile) and a festival with a hall, a zone and booths."""

from __future__ import annotations

import pytest

from booths.models import Booth, ExhibitorProfile, Hall, Zone
from eventday.accounts.models import Organisation, OrganisationMember
from eventday.extensions import db
from eventday.i18n import fold


@pytest.fixture
def create_exhibitor(create_user):
    """create_exhibitor(name=..., user=None, kind="cooperative", area=None) -> ExhibitorProfile
    whose organisation has ``user`` (a new verified user if None) as owner."""

    def make(name="HTX Dược liệu Tây Giang", user=None, kind="cooperative", area=None):
        user = user or create_user()
        org = Organisation(kind="cooperative", area_id=area.id if area else None)
        org.set_name(name)
        db.session.add(org)
        db.session.flush()
        db.session.add(OrganisationMember(organisation_id=org.id, user_id=user.id, role="owner"))
        profile = ExhibitorProfile(
            organisation_id=org.id,
            kind=kind,
            display_name=name,
            name_folded=fold(name),
            home_area_id=area.id if area else None,
        )
        db.session.add(profile)
        db.session.commit()
        profile.user = user  # for the test: who acts for it
        return profile

    return make


@pytest.fixture
def create_plan():
    """create_plan(festival, n=6, price_vnd=500_000) -> (hall, zone, [booths A01…])."""

    def make(festival, n=6, price_vnd=500_000, kind="ocop"):
        hall = Hall(festival_id=festival.id, name="Nhà văn hóa", width_m=30, depth_m=20)
        db.session.add(hall)
        db.session.flush()
        zone = Zone(
            festival_id=festival.id,
            hall_id=hall.id,
            name="Gian OCOP",
            x=0,
            y=0,
            width_m=30,
            depth_m=6,
        )
        db.session.add(zone)
        db.session.flush()
        booths = [
            Booth(
                festival_id=festival.id,
                hall_id=hall.id,
                zone_id=zone.id,
                code=f"A{i + 1:02d}",
                x=i * 3,
                y=0,
                width_m=3,
                depth_m=3,
                kind=kind,
                price_vnd=price_vnd,
                corner=i in (0, n - 1),
            )
            for i in range(n)
        ]
        db.session.add_all(booths)
        db.session.commit()
        return hall, zone, booths

    return make
