"""`flask --app app booths …`: periodic jobs (run them from cron or a systemd timer)."""

from __future__ import annotations

import click

from booths import operations as ops
from booths.views import bp
from eventday.extensions import db
from eventday.mail import dispatch_committed


@bp.cli.command("expire")
def expire() -> None:
    """Expire booth holds that ran out, freeing their booths."""
    count = ops.expire_holds()
    db.session.commit()
    dispatch_committed()
    click.echo(f"booths: {count} holds expired")
