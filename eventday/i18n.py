"""Locale selection, Vietnamese formatting of money, dates and phones, diacritics folding."""

from __future__ import annotations

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

import phonenumbers
from babel.numbers import format_currency
from flask import has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LANGUAGES = ("vi", "en")


def select_locale() -> str:
    """Explicit choice (session) > the user's preference > Accept-Language > Vietnamese."""
    if not has_request_context():
        return "vi"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return current_user.locale
    # Vietnamese stays the default; English only when the browser prefers it over Vietnamese.
    best = request.accept_languages.best_match(LANGUAGES, default="vi")
    return best or "vi"


def select_timezone() -> str:
    return "Asia/Ho_Chi_Minh"


def current_lang() -> str:
    try:
        loc = get_locale()
    except RuntimeError:  # outside an app context
        loc = None
    return loc.language if loc else "vi"


def fold(text: str | None) -> str:
    """Lowercase, strip diacritics, map đ/Đ to d: 'Tây Giang' -> 'tay giang'."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def format_vnd(amount: int | None, locale: str | None = None) -> str:
    """1500000 -> '1.500.000 ₫' (vi) or '₫1,500,000' (en)."""
    if amount is None:
        return ""
    loc = "vi_VN" if (locale or current_lang()) == "vi" else "en_US"
    return format_currency(int(amount), "VND", locale=loc)


def to_local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(LOCAL_TZ)


def format_date(value: dt.date | dt.datetime | None) -> str:
    """dd/MM/yyyy in both languages (the Vietnamese convention; unambiguous for guests too)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def format_time(value: dt.time | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).time()
    return value.strftime("%H:%M")


def format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = to_local(value)
    return local.strftime("%H:%M %d/%m/%Y")


def weekday_name(value: dt.date) -> str:
    from flask_babel import gettext

    names = [
        gettext("Monday"),
        gettext("Tuesday"),
        gettext("Wednesday"),
        gettext("Thursday"),
        gettext("Friday"),
        gettext("Saturday"),
        gettext("Sunday"),
    ]
    return names[value.weekday()]


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str | None) -> str | None:
    """'0905 123 456' -> '+84905123456'; None for empty; PhoneError when not a valid number."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """'+84905123456' -> '0905 123 456' for Vietnamese numbers, international format otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 84:
        national = phonenumbers.national_significant_number(number)
        digits = "0" + national
        if len(digits) == 10:
            return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def localized(obj, field: str) -> str:
    """Pick obj.<field>_<lang>, falling back to Vietnamese."""
    lang = current_lang()
    value = getattr(obj, f"{field}_{lang}", None)
    return value or getattr(obj, f"{field}_vi", "") or ""


def init_app(app) -> None:
    app.jinja_env.filters.update(
        vnd=format_vnd,
        date=format_date,
        time=format_time,
        datetime=format_datetime,
        phone=format_phone,
        weekday=weekday_name,
    )
    app.jinja_env.globals.update(localized=localized, current_lang=current_lang)
