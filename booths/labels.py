"""The words for booth types and states, application states and exhibitor kinds, in one place."""

from flask_babel import lazy_gettext as _l

BOOTH_KIND_LABELS = {
    "ocop": _l("OCOP"),
    "startup": _l("Startup"),
    "sponsor": _l("Sponsor"),
    "union": _l("Union"),
    "school": _l("School"),
    "food": _l("Food"),
    "outdoor": _l("Outdoor"),
}
BOOTH_STATE_LABELS = {
    "available": _l("Available"),
    "held": _l("Held"),
    "pending": _l("Pending approval"),
    "booked": _l("Booked"),
    "blocked": _l("Blocked"),
}
APPLICATION_STATE_LABELS = {
    "held": _l("Held, not sent yet"),
    "pending": _l("Awaiting the organizers"),
    "approved": _l("Approved"),
    "waitlisted": _l("On the waiting list"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Hold ran out"),
}
EXHIBITOR_KIND_LABELS = {
    "ocop_producer": _l("OCOP producer"),
    "cooperative": _l("Cooperative"),
    "startup": _l("Startup"),
    "enterprise": _l("Enterprise"),
    "household_business": _l("Household business"),
    "union": _l("Union"),
    "school": _l("School"),
    "other": _l("Other"),
}
