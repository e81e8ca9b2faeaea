"""Account labels and signed tokens."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

ORGANISATION_KIND_LABELS = {
    "startup": _l("Startup"),
    "cooperative": _l("Cooperative (HTX)"),
    "enterprise": _l("Enterprise"),
    "household_business": _l("Household business"),
    "union": _l("Union / association"),
    "school": _l("School"),
    "investment_fund": _l("Investment fund"),
    "government": _l("Government body"),
}


class TokenError(ValueError):
    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"eventday.{purpose}")


def make_token(purpose: str, payload) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int):
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError(expired=True) from exc
    except BadSignature as exc:
        raise TokenError() from exc
