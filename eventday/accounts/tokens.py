"""Personal tokens for the JSON API: operations and the "API tokens" page of the profile.

A token is ``edt_`` + 43 random URL-safe characters (256 bits). Only its SHA-256 is stored
(``ApiToken.token_hash``): the plaintext is shown once, on the page that created it, and cannot
be recovered. Revoked tokens stay listed (with their revocation time) and never work again.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from eventday.accounts.models import ApiToken, User
from eventday.accounts.views import bp
from eventday.db import utcnow
from eventday.extensions import db

TOKEN_PREFIX = "edt_"  # noqa: S105 - a public marker, not a secret
TOKEN_BYTES = 32

# --------------------------------------------------------------------------- operations


def hash_token(plaintext: str) -> str:
    """The stored form of a token: SHA-256, hex (tokens are random, so no salt is needed)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it and its plaintext, which is never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        user_id=user.id, name=" ".join(name.split())[:100], token_hash=hash_token(plaintext)
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def revoke_token(token: ApiToken) -> None:
    """Stop a token from working; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()


def find_active_token(plaintext: str) -> ApiToken | None:
    """The unrevoked token with this plaintext, or None."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    return db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None)
        )
    )


def user_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


# --------------------------------------------------------------------------- forms


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("Where the token is used, e.g. “Gate scanner, south entrance”."),
    )


class RevokeTokenForm(FlaskForm):
    token_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])


# --------------------------------------------------------------------------- pages


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def list_api_tokens():
    """List, create. A new token's plaintext is rendered in the POST response itself, not
    after a redirect: carrying it through the (signed, not encrypted) session cookie would
    leak it. The response is marked ``no-store``."""
    form = TokenForm()
    plaintext = None
    if form.validate_on_submit():
        _created, plaintext = create_token(current_user, form.name.data)
        db.session.commit()
        form = TokenForm(formdata=None)
    response = make_response(
        render_template(
            "accounts/tokens.html",
            form=form,
            revoke_form=RevokeTokenForm(formdata=None),
            tokens=user_tokens(current_user),
            plaintext=plaintext,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/profile/tokens/revoke")
@login_required
def revoke_api_token():
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, form.token_id.data)
    if token is None or token.user_id != current_user.id:
        abort(404)
    revoke_token(token)
    db.session.commit()
    flash(_("Token “%(name)s” revoked.", name=token.name), "info")
    return redirect(url_for("accounts.list_api_tokens"))
