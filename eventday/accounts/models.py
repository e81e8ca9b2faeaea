"""Users and organisations."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check
from eventday.i18n import fold

ORGANISATION_KINDS = (
    "startup",
    "cooperative",
    "enterprise",
    "household_business",
    "union",
    "school",
    "investment_fund",
    "government",
)
MEMBER_ROLES = ("owner", "member")


class User(IdMixin, CreatedAtMixin, UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (enum_check("locale", ("vi", "en")),)

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    full_name: Mapped[str] = mapped_column(sa.String(200))
    name_folded: Mapped[str] = mapped_column(sa.String(200), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    is_admin: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Bumped on password change: old reset links and remember-me cookies stop working.
    auth_version: Mapped[int] = mapped_column(default=1)
    data_consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[OrganisationMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def set_name(self, full_name: str) -> None:
        self.full_name = " ".join(full_name.split())
        self.name_folded = fold(self.full_name)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users
        return self.disabled_at is None

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_version}"

    @property
    def given_name(self) -> str:
        """Vietnamese names put the given name last: sort lists by it."""
        return self.full_name.split()[-1] if self.full_name else ""

    @property
    def organisations(self) -> list[Organisation]:
        return [m.organisation for m in self.memberships]

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Organisation(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "organisations"
    __table_args__ = (enum_check("kind", ORGANISATION_KINDS),)

    name: Mapped[str] = mapped_column(sa.String(255))
    name_folded: Mapped[str] = mapped_column(sa.String(255), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    tax_code: Mapped[str | None] = mapped_column(sa.String(20))
    website: Mapped[str | None] = mapped_column(sa.String(255))

    area = relationship("Area")
    members: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    def set_name(self, name: str) -> None:
        self.name = " ".join(name.split())
        self.name_folded = fold(self.name)


class OrganisationMember(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "organisation_members"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "user_id"),
        enum_check("role", MEMBER_ROLES),
    )

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default="member")

    organisation: Mapped[Organisation] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(IdMixin, CreatedAtMixin, Base):
    """A personal token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
