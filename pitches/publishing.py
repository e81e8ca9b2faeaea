"""Versioned publishing of the programme.

``publish`` takes a numbered snapshot of every item. Against the previous version, an item
whose stage, times, title, description or speakers changed gets ``sequence += 1``; an item no
longer there stays in the snapshot as "cancelled" with a raised sequence (calendar apps then
remove it). The startup and the judges of each changed, added or removed pitch get a mail
with the updated ICS; the first publication mails every scheduled startup and judge their slot.
Live status changes (started, ended, delayed) do not count as changes: they are not calendar
changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from eventday.accounts.models import User
from eventday.extensions import db
from eventday.festivals.models import Festival
from eventday.mail import queue_mail, register_attachment
from pitches.ics import CANCELLED, PublishedItem, ics_bytes, programme_url
from pitches.models import PitchApplication, ProgrammeItem, ProgrammeVersion
from pitches.schedule import festival_items, lock_items

# The fields whose change makes a calendar change (and a mail).
COMPARED = (
    "stage_id",
    "starts_at",
    "ends_at",
    "title",
    "title_en",
    "description",
    "speakers",
    "status_cancelled",
)
ATTACHMENT_KIND = "pitches_item_ics"


@dataclass
class PublishResult:
    version: ProgrammeVersion
    first: bool
    changed: list[str] = field(default_factory=list)  # uids moved or renamed
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    mailed: list[str] = field(default_factory=list)  # recipients' addresses


def entry(item: ProgrammeItem) -> dict:
    """An item as a version's snapshot holds it (JSON)."""
    return {
        "stage": item.stage.name_vi,
        "stage_en": item.stage.name_en,
        "stage_id": item.stage_id,
        "starts_at": item.starts_at.isoformat(),
        "ends_at": item.ends_at.isoformat(),
        "title": item.title_vi,
        "title_en": item.title_en,
        "status": item.status,
        "sequence": item.sequence,
        "kind": item.kind,
        "description": item.description or "",
        "speakers": item.speakers or "",
        "application_id": item.application_id,
        "judge_ids": sorted(j.id for j in item.judges),
    }


def _key(e: dict) -> tuple:
    return tuple(
        e.get("status") == CANCELLED if f == "status_cancelled" else e.get(f) for f in COMPARED
    )


def latest_version(festival: Festival) -> ProgrammeVersion | None:
    return db.session.scalar(
        sa.select(ProgrammeVersion)
        .where(ProgrammeVersion.festival_id == festival.id)
        .order_by(ProgrammeVersion.number.desc())
        .limit(1)
    )


def published_items(festival: Festival, *, include_cancelled: bool = True) -> list[PublishedItem]:
    """The latest published version's items in time order (none before the first one)."""
    version = latest_version(festival)
    if version is None:
        return []
    items = [PublishedItem.from_snapshot(uid, e) for uid, e in version.snapshot.items()]
    if not include_cancelled:
        items = [i for i in items if not i.cancelled]
    return sorted(items, key=lambda i: (i.starts_at, i.stage_id or 0, i.uid))


def publish(festival: Festival, user) -> PublishResult:
    """Publish the programme as it stands: a new version, sequences raised, mails queued."""
    lock_items(festival)
    previous = latest_version(festival)
    before = dict(previous.snapshot) if previous else {}
    items = festival_items(festival)
    result = PublishResult(version=None, first=previous is None)  # type: ignore[arg-type]
    snapshot: dict[str, dict] = {}
    for item in items:
        old = before.get(item.uid)
        if previous is not None:
            if old is None or old.get("status") == CANCELLED:
                result.added.append(item.uid)
            elif _key(old) != _key(entry(item)):
                item.sequence = max(item.sequence, int(old.get("sequence", 0))) + 1
                result.changed.append(item.uid)
        snapshot[item.uid] = entry(item)
    for uid, old in before.items():
        if uid in snapshot:
            continue
        if old.get("status") == CANCELLED:
            snapshot[uid] = old  # keep telling calendars it is cancelled
        else:
            snapshot[uid] = {**old, "status": CANCELLED, "sequence": int(old["sequence"]) + 1}
            result.removed.append(uid)
    version = ProgrammeVersion(
        festival_id=festival.id,
        number=(previous.number + 1) if previous else 1,
        published_by_id=user.id if user is not None else None,
        snapshot=snapshot,
    )
    db.session.add(version)
    db.session.flush()
    result.version = version
    if result.first:
        concerned = [u for u, e in snapshot.items() if e["kind"] == "pitch"]
        template = "pitches_programme_published"
    else:
        touched = set(result.changed) | set(result.added) | set(result.removed)
        concerned = [u for u in touched if snapshot[u]["kind"] == "pitch"]
        template = "pitches_programme_changed"
    result.mailed = _mail(festival, version, concerned, template, result)
    return result


def _mail(festival, version, uids, template, result) -> list[str]:
    """One mail per person (startup applicant or judge) listing their items, one ICS each."""
    entries = {u: PublishedItem.from_snapshot(u, version.snapshot[u]) for u in uids}
    app_ids = {e.application_id for e in entries.values() if e.application_id}
    judge_ids = {j for e in entries.values() for j in e.judge_ids}
    applications = (
        {
            a.id: a
            for a in db.session.scalars(
                sa.select(PitchApplication).where(PitchApplication.id.in_(app_ids))
            )
        }
        if app_ids
        else {}
    )
    applicant_ids = {a.applicant_id for a in applications.values() if a.applicant_id}
    people = (
        {
            u.id: u
            for u in db.session.scalars(
                sa.select(User).where(User.id.in_(judge_ids | applicant_ids))
            )
        }
        if judge_ids | applicant_ids
        else {}
    )
    # email -> (locale, name, role, [items])
    recipients: dict[str, list] = {}

    def add(user, locale, role, item):
        if user is None or not user.email:
            return
        slot = recipients.setdefault(user.email, [locale, user.full_name, role, []])
        if item.uid not in {i.uid for i in slot[3]}:
            slot[3].append(item)

    for item in sorted(entries.values(), key=lambda i: (i.starts_at, i.uid)):
        application = applications.get(item.application_id)
        if application is not None and application.applicant_id:
            add(people.get(application.applicant_id), application.locale, "startup", item)
        for judge_id in item.judge_ids:
            judge = people.get(judge_id)
            add(judge, judge.locale if judge else "vi", "judge", item)
    link = programme_url(festival)
    for email, (locale, name, role, items) in recipients.items():
        queue_mail(
            email,
            template,
            locale,
            attachments=[
                {"kind": ATTACHMENT_KIND, "version_id": version.id, "uid": i.uid, "locale": locale}
                for i in items
            ],
            festival=festival,
            name=name,
            role=role,
            items=items,
            changed=set(result.changed),
            added=set(result.added),
            link=link,
        )
    return sorted(recipients)


@register_attachment(ATTACHMENT_KIND)
def _item_ics(spec: dict):
    """The item's ICS as the given version published it (so a late send shows that version)."""
    version = db.session.get(ProgrammeVersion, spec["version_id"])
    festival = db.session.get(Festival, version.festival_id)
    item = PublishedItem.from_snapshot(spec["uid"], version.snapshot[spec["uid"]])
    data = ics_bytes([item], festival, spec.get("locale", "vi"))
    return f"{festival.slug}-{item.uid.split('@')[0][:8]}.ics", "text/calendar", data, None
