"""Fixtures shared by the matchmaking tests: a published festival with matchmaking open,
participants' profiles, sessions with breaks and tables."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

import pytest

from eventday.accounts.models import Organisation, OrganisationMember
from eventday.extensions import db
from eventday.i18n import LOCAL_TZ, fold
from matchmaking.models import MatchBreak, MatchProfile, MatchSession, MatchSettings, MatchTable

_n = itertools.count(1)


@pytest.fixture
def mm_festival(create_festival):
    """mm_festival(**settings) -> a published two-day festival with matchmaking open."""

    def make(**settings):
        festival = create_festival(state="published")
        db.session.add(MatchSettings(festival_id=festival.id, is_open=True, **settings))
        db.session.commit()
        return festival

    return make


@pytest.fixture
def create_profile(create_user):
    """create_profile(festival, kind="startup", user=None, name=None, **fields) -> MatchProfile.
    Startups and exhibitors get an organisation the user owns; ``profile.user`` acts for it."""

    def make(festival, kind="startup", user=None, name=None, **fields):
        n = next(_n)
        user = user or create_user()
        name = name or f"{'Quỹ' if kind != 'startup' else 'Khởi nghiệp'} thử {n}"
        org_id = None
        if kind in ("startup", "exhibitor", "fund", "bank", "enterprise", "association"):
            org = Organisation(kind="startup" if kind == "startup" else "enterprise")
            org.set_name(name)
            db.session.add(org)
            db.session.flush()
            db.session.add(
                OrganisationMember(organisation_id=org.id, user_id=user.id, role="owner")
            )
            org_id = org.id
        profile = MatchProfile(
            festival_id=festival.id,
            user_id=user.id,
            organisation_id=org_id,
            kind=kind,
            display_name=name,
            name_folded=fold(name),
            search_folded=fold(name),
            feed_token=secrets.token_urlsafe(32),
            **fields,
        )
        db.session.add(profile)
        db.session.commit()
        return profile

    return make


@pytest.fixture
def create_session():
    """create_session(festival, day=0, start=(9, 0), end=(11, 0), slot_minutes=20,
    breaks=[((10, 0), (10, 20))]) -> MatchSession; times are Vietnam local on the festival's
    ``day``-th day."""

    def make(festival, day=0, start=(9, 0), end=(11, 0), slot_minutes=20, breaks=()):
        date = festival.days[day].day

        def at(hm):
            return dt.datetime.combine(date, dt.time(*hm), LOCAL_TZ).astimezone(dt.UTC)

        session = MatchSession(
            festival_id=festival.id,
            name_vi=f"Phiên kết nối {next(_n)}",
            name_en="Matchmaking session",
            starts_at=at(start),
            ends_at=at(end),
            slot_minutes=slot_minutes,
        )
        db.session.add(session)
        db.session.flush()
        for b_start, b_end in breaks:
            db.session.add(
                MatchBreak(session_id=session.id, starts_at=at(b_start), ends_at=at(b_end))
            )
        db.session.commit()
        return session

    return make


@pytest.fixture
def create_tables():
    """create_tables(festival, n=4, fixed={number: profile}) -> [MatchTable]."""

    def make(festival, n=4, fixed=None):
        fixed = fixed or {}
        tables = [
            MatchTable(
                festival_id=festival.id,
                number=i,
                label=f"Bàn {i}",
                fixed_profile_id=fixed[i].id if i in fixed else None,
            )
            for i in range(1, n + 1)
        ]
        db.session.add_all(tables)
        db.session.commit()
        return tables

    return make
