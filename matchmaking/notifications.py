"""Matchmaking mails, each in its recipient's language, queued (sent after the commit).

Requests: received (to the recipient), accepted / declined / expired (to the sender).
Meetings: confirmed, changed, cancelled (to both parties, the meeting's ICS attached so the
calendar entry is added, updated or removed: same UID, higher SEQUENCE). Reminders before a
session (``cli remind``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.mail import queue_mail, register_attachment
from eventday.util import external_url
from matchmaking.models import MatchProfile, Meeting, MeetingRequest

ICS_KIND = "matchmaking_meeting_ics"

DECLINE_REASON_LABELS = {
    "no_fit": _l("Not a fit for us"),
    "no_time": _l("No time at this festival"),
    "already_met": _l("We have already met"),
    "other": _l("Another reason"),
}


def _link(endpoint: str, festival: Festival) -> str:
    """An absolute link to a matchmaking page of the festival."""
    return external_url(endpoint, slug=festival.slug)


def _send(profile: MatchProfile, template: str, *, attachments=None, **context) -> None:
    user = profile.user
    festival = db.session.get(Festival, profile.festival_id)
    queue_mail(
        user.email,
        template,
        user.locale or "vi",
        attachments=attachments,
        festival=festival,
        mm_name=user.full_name or profile.display_name,
        mm_profile=profile,
        **context,
    )


def _ics(meeting: Meeting, profile: MatchProfile) -> list[dict]:
    return [
        {
            "kind": ICS_KIND,
            "meeting_id": meeting.id,
            "profile_id": profile.id,
        }
    ]


@register_attachment(ICS_KIND)
def _meeting_ics(spec: dict):
    """The meeting's ICS as it stands when the mail is sent (its latest SEQUENCE)."""
    from matchmaking.ics import meeting_ics

    meeting = db.session.get(Meeting, spec["meeting_id"])
    viewer = db.session.get(MatchProfile, spec["profile_id"]) if spec.get("profile_id") else None
    return f"meeting-{meeting.id}.ics", "text/calendar", meeting_ics(meeting, viewer), None


# --- requests --------------------------------------------------------------------------------


def request_received(request: MeetingRequest) -> None:
    _send(
        request.recipient,
        "matchmaking_request_received",
        mm_other=request.sender,
        mm_request=request,
        mm_link=_link("matchmaking.requests", request.recipient.festival),
    )


def request_accepted(request: MeetingRequest, meeting: Meeting | None = None) -> None:
    """To the sender. Not sent when a meeting was booked at once: the confirmation says it."""
    _send(
        request.sender,
        "matchmaking_request_accepted",
        mm_other=request.recipient,
        mm_request=request,
        mm_meeting=meeting,
        mm_link=_link("matchmaking.requests", request.sender.festival),
    )


def request_declined(request: MeetingRequest) -> None:
    _send(
        request.sender,
        "matchmaking_request_declined",
        mm_other=request.recipient,
        mm_request=request,
        # The lazy label: ``queue_mail`` renders it under the recipient's locale.
        mm_reason=DECLINE_REASON_LABELS.get(request.decline_reason or "other", ""),
        mm_link=_link("matchmaking.home", request.sender.festival),
    )


def request_expired(request: MeetingRequest) -> None:
    _send(
        request.sender,
        "matchmaking_request_expired",
        mm_other=request.recipient,
        mm_request=request,
        mm_link=_link("matchmaking.home", request.sender.festival),
    )


def request_withdrawn(request: MeetingRequest, actor) -> None:
    """A pending request was withdrawn: the party who did not withdraw it is told."""
    by_sender = actor.id == request.sender.user_id
    to, other = (
        (request.recipient, request.sender) if by_sender else (request.sender, request.recipient)
    )
    _send(
        to,
        "matchmaking_request_withdrawn",
        mm_other=other,
        mm_request=request,
        mm_link=_link("matchmaking.home", to.festival),
    )


# --- meetings --------------------------------------------------------------------------------


def _meeting_mail(meeting: Meeting, template: str) -> None:
    request = meeting.request
    for profile, other in (
        (request.sender, request.recipient),
        (request.recipient, request.sender),
    ):
        _send(
            profile,
            template,
            attachments=_ics(meeting, profile),
            mm_other=other,
            mm_meeting=meeting,
            mm_link=_link("matchmaking.agenda", profile.festival),
        )


def meeting_confirmed(meeting: Meeting) -> None:
    _meeting_mail(meeting, "matchmaking_meeting_confirmed")


def meeting_changed(meeting: Meeting) -> None:
    _meeting_mail(meeting, "matchmaking_meeting_changed")


def meeting_cancelled(meeting: Meeting) -> None:
    _meeting_mail(meeting, "matchmaking_meeting_cancelled")


def session_reminder(profile: MatchProfile, session, meetings: list[Meeting]) -> None:
    _send(
        profile,
        "matchmaking_reminder",
        mm_session=session,
        mm_meetings=[(m, _other(m, profile)) for m in meetings],
        mm_link=_link("matchmaking.agenda", profile.festival),
    )


def _other(meeting: Meeting, profile: MatchProfile) -> MatchProfile:
    request = meeting.request
    return request.recipient if request.sender_id == profile.id else request.sender
