"""Command-line tools: demo data, admin creation, areas import, mail maintenance."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from eventday.extensions import db

areas_cli = AppGroup("areas", help="Administrative areas.")
mail_cli = AppGroup("mail", help="The mail outbox.")


@areas_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def areas_import(path: Path) -> None:
    """Import areas (and lineage) from a CSV file; all rows or none."""
    from eventday.areas.operations import AreaImportError, import_areas_csv

    try:
        result = import_areas_csv(path.read_text(encoding="utf-8-sig"))
    except AreaImportError as exc:
        db.session.rollback()
        raise click.ClickException(
            f"{path}: line {exc.line}: {exc.message}. Nothing was imported."
        ) from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text") from exc
    db.session.commit()
    click.echo(
        f"areas: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.lineages} lineage links"
    )


@areas_cli.command("load-bundled")
def areas_load_bundled() -> None:
    """Load the area data that ships with EventDay."""
    from eventday.areas.operations import import_bundled

    result = import_bundled()
    db.session.commit()
    click.echo(f"areas: {result.created} created, {result.updated} updated")


@mail_cli.command("retry")
def mail_retry() -> None:
    """Send again every mail still queued (after an SMTP outage)."""
    from eventday.mail import retry_unsent

    click.echo(f"mail: retried {retry_unsent()}")


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "full_name", prompt="Full name")
@click.option("--password", default=None, help="Prompted for when not given.")
def create_admin(email: str, full_name: str, password: str | None) -> None:
    """Create a site admin (or make an existing account one)."""
    from eventday.accounts import operations as ops

    user = ops.find_user_by_email(email)
    if user is None:
        password = password or getpass.getpass("Password: ")
        if len(password) < 10:
            raise click.ClickException("the password needs at least 10 characters")
        user = ops.create_user(email, password, full_name, is_admin=True, verified=True)
    else:
        user.is_admin = True
    db.session.commit()
    click.echo(f"admin: {user.email}")


@click.command("demo")
def demo() -> None:
    """Load the demo festival (idempotent) and print the demo logins."""
    from eventday.demo import load_demo

    logins = load_demo(today=dt.date.today())
    db.session.commit()
    click.echo(f"Demo festival loaded. Logins (password for all: {logins['password']}):")
    for email, what in logins["users"]:
        click.echo(f"  {email:<36} {what}")


@click.command("db-ready")
def db_ready() -> None:
    """Exit 0 when the database has the current schema and the demo, 1 otherwise."""
    from eventday.festivals.models import Festival

    try:
        count = db.session.scalar(sa.select(sa.func.count(Festival.id)))
    except sa.exc.SQLAlchemyError:
        raise SystemExit(1) from None
    raise SystemExit(0 if count else 1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run the job worker (mail) when REDIS_URL is set."""
    from flask import current_app
    from redis import Redis
    from rq import SimpleWorker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: mail is sent inline, no worker needed")
    # SimpleWorker runs jobs in this process, inside this app context (no fork of DB pools).
    SimpleWorker(["mail"], connection=Redis.from_url(url)).work(burst=burst)


def register_cli(app: Flask) -> None:
    app.cli.add_command(areas_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)
    app.cli.add_command(db_ready)
    app.cli.add_command(worker)
