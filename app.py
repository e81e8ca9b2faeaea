"""Entry point: ``flask --app app …`` and ``gunicorn app:app``."""

from eventday import create_app

app = create_app()
