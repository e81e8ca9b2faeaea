"""Mail: built from templates in the recipient's language, recorded in an outbox table,
sent only after the transaction that queued it commits (through RQ when REDIS_URL is set,
inline otherwise, or only logged when no MAIL_SERVER is configured)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy.orm import Mapped, Session, mapped_column

from eventday.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, enum_check, utcnow
from eventday.extensions import db, mail

log = logging.getLogger("eventday.mail")

STATUSES = ("queued", "sent", "logged", "failed")
MAX_ATTEMPTS = 5


class OutboxMail(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "outbox_mails"
    __table_args__ = (enum_check("status", STATUSES),)

    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(255))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    template: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Attachments are rebuilt at send time from these specs ({"kind": …, …}) by the builders
    # that feature packages register, so the outbox never stores ticket images twice.
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)


# kind -> builder(spec) -> (filename, content_type, data, content_id or None)
ATTACHMENT_BUILDERS: dict[str, Callable[[dict], tuple[str, str, bytes, str | None]]] = {}


def register_attachment(kind: str):
    def decorator(fn):
        ATTACHMENT_BUILDERS[kind] = fn
        return fn

    return decorator


_PENDING = "eventday_pending_mail"
_COMMITTED = "eventday_committed_mail"


def queue_mail(
    recipient: str,
    template: str,
    locale: str = "vi",
    *,
    attachments: list[dict] | None = None,
    **context,
) -> OutboxMail:
    """Render ``templates/emails/<template>.{txt,html}`` in ``locale`` and queue it.

    The template's first line of the text part, ``Subject: …``, is the subject.
    Nothing is sent until the surrounding transaction commits.
    """
    locale = locale if locale in ("vi", "en") else "vi"
    with force_locale(locale):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"emails/{template}.txt must start with a 'Subject:' line")
    message = OutboxMail(
        recipient=recipient,
        subject=first[len("Subject:") :].strip(),
        body_text=body.lstrip("\n"),
        body_html=html,
        locale=locale,
        template=template,
        attachments=list(attachments or []),
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(message.id)
    return message


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


def _after_transaction_end(session: Session, transaction) -> None:
    # Only the outermost transaction's end drops unsent mail: a rolled-back SAVEPOINT must
    # not lose the mail queued earlier in the request. (A commit moved them on already.)
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def dispatch_committed() -> int:
    """Send (or enqueue) every mail whose transaction has committed. Returns how many."""
    ids = db.session.info.pop(_COMMITTED, None)
    if not ids:
        return 0
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url and current_app.config.get("MAIL_SERVER"):
        from redis import Redis
        from rq import Queue

        queue = Queue("mail", connection=Redis.from_url(redis_url))
        for mail_id in ids:
            queue.enqueue(send_job, mail_id, job_timeout=60)
        return len(ids)
    for mail_id in ids:
        deliver(mail_id)
    return len(ids)


def deliver(mail_id: int) -> OutboxMail | None:
    """Send one outbox mail now and record the outcome (commits its own transaction)."""
    message = db.session.get(OutboxMail, mail_id)
    if message is None or message.status in ("sent", "logged"):
        return message
    message.attempts += 1
    if not current_app.config.get("MAIL_SERVER"):
        log.info(
            "mail (not sent: no MAIL_SERVER) to=%s subject=%s\n%s",
            message.recipient,
            message.subject,
            message.body_text,
        )
        message.status = "logged"
        message.sent_at = utcnow()
    else:
        try:
            mail.send(_build_message(message))
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded for retry
            message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "queued"
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("mail %s to %s failed: %s", message.id, message.recipient, exc)
        else:
            message.status = "sent"
            message.sent_at = utcnow()
            message.last_error = None
    db.session.commit()
    db.session.info.pop(_COMMITTED, None)
    return message


def _build_message(message: OutboxMail) -> Message:
    msg = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
    )
    for spec in message.attachments or []:
        filename, content_type, data, content_id = ATTACHMENT_BUILDERS[spec["kind"]](spec)
        if content_id:
            msg.attach(
                filename,
                content_type,
                data,
                disposition="inline",
                headers={"Content-ID": f"<{content_id}>"},
            )
            # Also a real attachment, to save or forward (clients hide CID-only images).
            msg.attach(filename, content_type, data)
        else:
            msg.attach(filename, content_type, data)
    return msg


def send_job(mail_id: int) -> None:
    """RQ job: runs in ``flask --app app worker``, inside that app's context."""
    deliver(mail_id)
    db.session.remove()


def retry_unsent() -> int:
    """Try again every queued mail (e.g. after an SMTP outage). Returns how many were tried."""
    ids = db.session.scalars(
        sa.select(OutboxMail.id).where(OutboxMail.status == "queued").order_by(OutboxMail.id)
    ).all()
    for mail_id in ids:
        deliver(mail_id)
    return len(ids)


def init_app(app) -> None:
    if not sa.event.contains(Session, "after_commit", _after_commit):
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_transaction_end", _after_transaction_end)

    @app.after_request
    def _send_committed_mail(response):
        dispatch_committed()
        return response
