"""Account operations: every write about users and organisations goes through here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from eventday.accounts.models import Organisation, OrganisationMember, User
from eventday.accounts.util import TokenError, make_token, read_token
from eventday.areas.models import Area
from eventday.db import utcnow
from eventday.extensions import db
from eventday.mail import queue_mail
from eventday.util import external_url


class AccountError(Exception):
    """Base of the domain errors the views turn into translated messages."""


class EmailTaken(AccountError):
    pass


class InvalidToken(AccountError):
    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class AlreadyMember(AccountError):
    pass


class UnknownUser(AccountError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str,
    password: str,
    full_name: str,
    *,
    phone: str | None = None,
    locale: str = "vi",
    is_admin: bool = False,
    verified: bool = False,
    consent: bool = True,
) -> User:
    email = normalize_email(email)
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=email, phone=phone, locale=locale, is_admin=is_admin)
    user.set_name(full_name)
    user.set_password(password)
    if verified:
        user.email_verified_at = utcnow()
    if consent:
        user.data_consent_at = utcnow()
    db.session.add(user)
    try:
        # The unique index is the final word when two registrations race.
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise EmailTaken(email) from exc
    return user


def register_user(
    email: str, password: str, full_name: str, *, phone: str | None, locale: str
) -> User:
    user = create_user(email, password, full_name, phone=phone, locale=locale)
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    token = make_token("verify", {"id": user.id, "email": user.email})
    queue_mail(
        user.email,
        "accounts/verify",
        user.locale,
        user=user,
        link=external_url("accounts.verify_email", token=token),
    )


def verify_email(token: str) -> User:
    try:
        data = read_token("verify", token, current_app.config["EMAIL_TOKEN_MAX_AGE"])
    except TokenError as exc:
        raise InvalidToken(expired=exc.expired) from exc
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("email"):
        raise InvalidToken()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = make_token("reset", {"id": user.id, "v": user.auth_version})
    queue_mail(
        user.email,
        "accounts/reset",
        user.locale,
        user=user,
        link=external_url("accounts.reset_password", token=token),
    )


def user_for_reset_token(token: str) -> User:
    try:
        data = read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    except TokenError as exc:
        raise InvalidToken(expired=exc.expired) from exc
    user = db.session.get(User, data.get("id"))
    # A used link is dead: the password change bumped auth_version.
    if user is None or user.auth_version != data.get("v") or not user.is_active:
        raise InvalidToken()
    return user


def reset_password(token: str, password: str) -> User:
    user = user_for_reset_token(token)
    change_password(user, password)
    # Following the mailed link proves the address too.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def change_password(user: User, password: str) -> None:
    user.set_password(password)
    user.auth_version += 1  # logs out other sessions and remember-me cookies
    db.session.flush()


def update_profile(user: User, *, full_name: str, phone: str | None, locale: str) -> None:
    user.set_name(full_name)
    user.phone = phone
    user.locale = locale
    db.session.flush()


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


def set_disabled(user: User, disabled: bool) -> None:
    user.disabled_at = utcnow() if disabled else None
    if disabled:
        user.auth_version += 1
    db.session.flush()


def set_admin(user: User, is_admin: bool) -> None:
    user.is_admin = is_admin
    db.session.flush()


def create_organisation(
    owner: User | None,
    name: str,
    kind: str,
    *,
    area: Area | None = None,
    tax_code: str | None = None,
    website: str | None = None,
) -> Organisation:
    org = Organisation(kind=kind, area=area, tax_code=tax_code or None, website=website or None)
    org.set_name(name)
    db.session.add(org)
    if owner is not None:
        db.session.add(OrganisationMember(organisation=org, user=owner, role="owner"))
    db.session.flush()
    return org


def add_member(org: Organisation, email: str, role: str = "member") -> OrganisationMember:
    user = find_user_by_email(email)
    if user is None:
        raise UnknownUser(email)
    if any(m.user_id == user.id for m in org.members):
        raise AlreadyMember(email)
    member = OrganisationMember(organisation=org, user=user, role=role)
    db.session.add(member)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise AlreadyMember(email) from exc
    return member


def export_personal_data(user: User) -> dict:
    """Everything EventDay holds about a person (Decree 13/2023: the right to a copy)."""
    from eventday.festivals.models import FestivalRole

    roles = db.session.scalars(sa.select(FestivalRole).where(FestivalRole.user_id == user.id))
    return {
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "locale": user.locale,
        "created_at": user.created_at.isoformat(),
        "email_verified_at": user.email_verified_at.isoformat() if user.email_verified_at else None,
        "data_consent_at": user.data_consent_at.isoformat() if user.data_consent_at else None,
        "organisations": [
            {"name": m.organisation.name, "kind": m.organisation.kind, "role": m.role}
            for m in user.memberships
        ],
        "festival_roles": [{"festival": r.festival.slug, "role": r.role} for r in roles],
    }


def erase_user(user: User) -> None:
    """Erase a person's personal data (Decree 13/2023) while keeping festival records whole."""
    user.email = f"erased-{user.id}@invalid"
    user.set_name("—")
    user.phone = None
    user.set_password(make_token("erased", user.id))
    user.disabled_at = utcnow()
    user.auth_version += 1
    user.data_consent_at = None
    for membership in list(user.memberships):
        db.session.delete(membership)
    db.session.flush()
