"""Festival labels and helpers."""

from __future__ import annotations

import re

import markdown_it
import nh3
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from eventday.i18n import fold

STATE_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "closed": _l("Closed"),
    "archived": _l("Archived"),
}
ROLE_LABELS = {
    "organizer": _l("Organizer"),
    "staff": _l("Gate staff"),
    "judge": _l("Judge"),
    "exhibitor": _l("Exhibitor"),
    "investor": _l("Investor"),
    "expert": _l("Expert"),
    "startup": _l("Startup"),
    "attendee": _l("Attendee"),
}
GROUP_LABELS = {
    "youth": (_l("Youth"), "Thanh niên", "Youth"),
    "farmers": (_l("Farmers"), "Nông dân", "Farmers"),
    "women": (_l("Women"), "Phụ nữ", "Women"),
    "university_students": (_l("University students"), "Sinh viên", "University students"),
    "highschool_students": (
        _l("High-school students"),
        "Học sinh THPT",
        "High-school students",
    ),
    "enterprises": (_l("Enterprises"), "Doanh nghiệp", "Enterprises"),
    "cooperatives": (_l("Cooperatives"), "Hợp tác xã", "Cooperatives"),
}
SCOPE_LABELS = {
    "inter_commune": _l("Inter-commune festival"),
    "inter_district": _l("Inter-district festival"),
    "inter_province": _l("Inter-province festival"),
    "inter_area": _l("Inter-area festival"),
    "single_commune": _l("Commune festival"),
    "single_district": _l("District festival"),
    "single_province": _l("Provincial festival"),
    "single_area": _l("Festival"),
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_md = markdown_it.MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def slugify(text: str, max_length: int = 80) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-")


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML with raw HTML off, then sanitised again (defence in depth)."""
    if not text:
        return Markup("")
    html = _md.render(text)
    clean = nh3.clean(
        html,
        tags={
            "p",
            "br",
            "strong",
            "em",
            "a",
            "ul",
            "ol",
            "li",
            "h2",
            "h3",
            "h4",
            "blockquote",
            "code",
            "pre",
            "hr",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        },
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="nofollow noopener",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 above


# Feature packages (tickets, booths, pitches, …) plug into the festival pages without the core
# importing them: each registers a function of the festival.
# section key -> fn(festival) -> {"set_up": bool, "url": str, "summary": str}
DASHBOARD_SECTIONS: dict[str, object] = {}
# fn(festival) -> (label, url) or None: buttons on the public festival page
PUBLIC_ACTIONS: list[object] = []


def register_section(key: str):
    def decorator(fn):
        DASHBOARD_SECTIONS[key] = fn
        return fn

    return decorator


def register_public_action(fn):
    PUBLIC_ACTIONS.append(fn)
    return fn


def section_status(key: str, festival) -> dict:
    provider = DASHBOARD_SECTIONS.get(key)
    if provider is None:
        return {"set_up": False, "url": None, "summary": ""}
    return provider(festival)


def public_actions(festival) -> list[tuple[str, str]]:
    return [action for fn in PUBLIC_ACTIONS if (action := fn(festival))]
