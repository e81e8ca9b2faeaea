"""EventDay: the application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from eventday import i18n
from eventday import mail as mail_module
from eventday.config import PROJECT_ROOT, load_config
from eventday.db import configure_sqlite, render_migration_item
from eventday.extensions import babel, csrf, db, limiter, login_manager, mail, migrate


def _blueprints():
    """The one explicit list of blueprints."""
    from booths.views import bp as booths_bp
    from eventday.accounts.views import bp as accounts_bp
    from eventday.admin.views import bp as admin_bp
    from eventday.api import bp as api_bp
    from eventday.areas.views import bp as areas_bp
    from eventday.core import bp as core_bp
    from eventday.festivals.views import bp as festivals_bp
    from matchmaking.views import bp as matchmaking_bp
    from pitches.views import bp as pitches_bp
    from ticketing.views import bp as ticketing_bp

    return [
        core_bp,
        accounts_bp,
        areas_bp,
        festivals_bp,
        admin_bp,
        ticketing_bp,
        booths_bp,
        pitches_bp,
        matchmaking_bp,
        api_bp,
    ]


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("EVENTDAY_INSTANCE", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    if os.environ.get("TRUSTED_PROXIES"):
        hops = int(os.environ["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    # Import every model so that metadata is complete for Alembic and create_all.
    from eventday import models  # noqa: F401

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        compare_type=True,
        render_as_batch=True,
        render_item=render_migration_item,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    i18n.init_app(app)
    mail_module.init_app(app)

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"
    login_manager.refresh_view = "accounts.login"

    @login_manager.user_loader
    def load_user(token: str):
        from eventday.accounts.models import User

        user_id, _, version = token.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or str(user.auth_version) != version:
            return None
        return user

    for bp in _blueprints():
        app.register_blueprint(bp)

    _register_error_handlers(app)

    from ticketing.checkin import fastscan

    fastscan.install(app)  # the lean path of an online QR scan, in front of Flask

    from eventday.cli import register_cli

    register_cli(app)

    @app.context_processor
    def _globals():
        return {"languages": app.config["LANGUAGES"]}

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Vary", "Cookie, Accept-Language")
        return response

    return app


def _register_error_handlers(app: Flask) -> None:
    def render_error(status: int, title, message):
        if request.path.startswith("/api/"):
            from eventday.api import error_response

            return error_response(status, str(title).lower().replace(" ", "_"), str(message))
        if request.accept_mimetypes.best == "application/json":
            return {"error": {"code": status, "message": str(message)}}, status
        return render_template("errors/error.html", status=status, title=title, message=message), (
            status
        )

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return render_error(
            400,
            _l("Form expired"),
            _l("The form was missing its security token or it has expired. Reload and try again."),
        )

    @app.errorhandler(400)
    def _bad_request(exc):
        return render_error(400, _l("Bad request"), _l("The request could not be understood."))

    @app.errorhandler(403)
    def _forbidden(exc):
        return render_error(403, _l("Not allowed"), _l("You do not have permission to open this."))

    @app.errorhandler(404)
    def _not_found(exc):
        return render_error(404, _l("Not found"), _l("This page does not exist."))

    @app.errorhandler(413)
    def _too_large(exc):
        return render_error(413, _l("File too large"), _l("The upload is larger than allowed."))

    @app.errorhandler(429)
    def _too_many(exc):
        return render_error(
            429,
            _l("Too many attempts"),
            _l("Too many attempts. Please wait a few minutes and try again."),
        )

    @app.errorhandler(500)
    def _server_error(exc):
        db.session.rollback()
        return render_error(
            500, _l("Something went wrong"), _l("An unexpected error happened. Please try again.")
        )
