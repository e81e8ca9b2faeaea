"""`flask --app app matchmaking …`: periodic jobs (run them from cron or a systemd timer,
e.g. every 10 minutes)."""

from __future__ import annotations

import click

from eventday.extensions import db
from eventday.mail import dispatch_committed
from matchmaking import operations
from matchmaking import requests as reqs
from matchmaking.views import bp


@bp.cli.command("expire")
def expire() -> None:
    """Expire meeting requests left unanswered past their time (the senders are mailed)."""
    count = reqs.expire_due()
    db.session.commit()
    dispatch_committed()
    click.echo(f"matchmaking: {count} requests expired")


@bp.cli.command("remind")
def remind() -> None:
    """Mail each participant their meetings before a session starts (once per session)."""
    count = operations.send_session_reminders()
    db.session.commit()
    dispatch_committed()
    click.echo(f"matchmaking: {count} reminders queued")
