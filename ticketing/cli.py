"""`flask --app app tickets …`: periodic jobs (run them from cron or a systemd timer)."""

from __future__ import annotations

import datetime as dt

import click

from eventday.extensions import db
from eventday.mail import dispatch_committed
from ticketing import operations as ops
from ticketing.views import bp


@bp.cli.command("expire")
def expire() -> None:
    """Release the places of unpaid orders past their hold, and expired waiting-list offers."""
    count = ops.release_expired()
    db.session.commit()
    dispatch_committed()
    click.echo(f"tickets: {count} orders expired")


@bp.cli.command("remind")
@click.option("--days-before", default=1, show_default=True, help="Days before the first day.")
def remind(days_before: int) -> None:
    """Mail ticket holders a reminder before their festival (each ticket once)."""
    local_today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    count = ops.send_reminders(local_today, days_before)
    db.session.commit()
    dispatch_committed()
    click.echo(f"tickets: {count} reminders queued")
