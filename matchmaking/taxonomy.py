"""The matchmaking vocabulary: sectors (tech sectors and the six OCOP product groups), startup
stages, what people offer and seek, languages and profile kinds — codes with translated labels.

Codes are stored in ``MatchProfile`` JSON lists; labels are lazy, so they follow the locale of
the request (or of ``force_locale`` in mails)."""

from __future__ import annotations

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l

from booths import ocop
from eventday.i18n import current_lang, fold
from matchmaking.models import PROFILE_KINDS
from pitches.calls import STAGE_LABELS

# The six top-level OCOP groups of Decision 148/QĐ-TTg -> sector code.
OCOP_SECTORS: dict[str, str] = {
    "I": "ocop_food",
    "II": "ocop_drinks",
    "III": "ocop_herbs",
    "IV": "ocop_crafts",
    "V": "ocop_ornamental",
    "VI": "ocop_tourism",
}


def _ocop_label(group: str) -> LazyString:
    """The group's name as in the decision, in Vietnamese or English (not in the catalog)."""

    def text() -> str:
        vi, en = ocop.GROUPS[group]
        return vi if current_lang() == "vi" else en

    return LazyString(text)


TECH_SECTORS: dict[str, LazyString] = {
    "agritech": _l("High-tech agriculture"),
    "edtech": _l("Education technology"),
    "fintech": _l("Financial technology"),
    "healthtech": _l("Health technology"),
    "tourism": _l("Tourism"),
    "ecommerce": _l("E-commerce"),
    "greentech": _l("Green technology and environment"),
    "manufacturing": _l("Manufacturing and processing"),
    "services": _l("Services"),
    "other": _l("Other"),
}

# Tech sectors first, then the OCOP groups; "other" last.
SECTORS: dict[str, LazyString] = {
    **{k: v for k, v in TECH_SECTORS.items() if k != "other"},
    **{code: _ocop_label(group) for group, code in OCOP_SECTORS.items()},
    "other": TECH_SECTORS["other"],
}

STAGES: dict[str, LazyString] = dict(STAGE_LABELS)

OFFERS: dict[str, LazyString] = {
    "funding": _l("Funding"),
    "distribution": _l("Distribution"),
    "mentoring": _l("Mentoring"),
    "partners": _l("Partners"),
    "market_access": _l("Market access"),
    "technology": _l("Technology"),
}
SEEKS: dict[str, LazyString] = dict(OFFERS)

# Language names in their own language: a person looks for the one they speak.
LANGUAGES: dict[str, str] = {
    "vi": "Tiếng Việt",
    "en": "English",
    "ko": "한국어",
    "ja": "日本語",
    "zh": "中文",
    "fr": "Français",
}

KIND_LABELS: dict[str, LazyString] = {
    "fund": _l("Investment fund"),
    "angel": _l("Angel investor"),
    "bank": _l("Bank"),
    "enterprise": _l("Enterprise"),
    "association": _l("Business association"),
    "expert": _l("Expert or mentor"),
    "startup": _l("Startup"),
    "exhibitor": _l("Exhibitor"),
}
assert set(KIND_LABELS) == set(PROFILE_KINDS)  # noqa: S101 - a definition-time check


def sector_for_ocop_group(code: str | None) -> str | None:
    """'III.1' -> 'ocop_herbs'; None for an empty or unknown group."""
    normal = ocop.normalize_group(code)
    return OCOP_SECTORS.get(normal.split(".")[0]) if normal else None


def labels(mapping: dict, codes) -> list[str]:
    """The labels of the known ``codes``, in the mapping's order (unknown codes dropped)."""
    wanted = set(codes or ())
    return [str(label) for code, label in mapping.items() if code in wanted]


def sector_search_index() -> dict[str, str]:
    """code -> folded Vietnamese and English names of the sector, so that a search for
    'duoc lieu' or 'herbs' finds a profile in the medicinal herbs sector, whatever the page's
    language. Build it once per request and look codes up in it."""
    names: dict[str, list[str]] = {code: [] for code in SECTORS}
    for lang in ("vi", "en"):
        with force_locale(lang):
            for code, label in SECTORS.items():
                names[code].append(str(label))
    return {code: fold(" ".join(parts)) for code, parts in names.items()}
