"""The scanner app's service worker and web app manifest, served under ``/scan/``.

The service worker must live at ``/scan/sw.js`` to control the installed app's pages
(``/scan/``, ``/scan/pair``); its text carries a version made from the app shell's files, so
a deploy that changes any of them makes browsers install the new worker and refresh the cache.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Response, current_app, url_for
from flask_babel import gettext as _

from eventday.permissions import public
from ticketing.views import bp

SW_SOURCE = "js/scanner-sw.js"
# Static files of the app shell (relative to static/); jsQR is there once `make assets` ran.
SHELL_STATIC = ("js/scanner.js", "vendor/jsqr/jsQR.js", "img/icon.svg")


def _shell() -> tuple[list[str], str]:
    static = Path(current_app.static_folder)
    digest = hashlib.sha256()
    urls = [url_for("ticketing.scanner_app"), url_for("ticketing.scanner_manifest")]
    for name in (SW_SOURCE, *SHELL_STATIC):
        path = static / name
        if not path.is_file():
            continue
        digest.update(name.encode())
        digest.update(path.read_bytes())
        if name != SW_SOURCE:
            urls.append(url_for("static", filename=name))
    # The start page is rendered from the template: a new template is a new shell too.
    template = Path(current_app.template_folder) / "ticketing" / "scanner.html"
    if template.is_file():
        digest.update(template.read_bytes())
    return urls, digest.hexdigest()[:16]


@bp.get("/scan/sw.js")
@public
def scanner_service_worker():
    source = (Path(current_app.static_folder) / SW_SOURCE).read_text(encoding="utf-8")
    urls, version = _shell()
    body = source.replace('"__SHELL_VERSION__"', json.dumps(version)).replace(
        '"__SHELL_URLS__"', json.dumps(urls)
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/scan/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/scan/manifest.webmanifest")
@public
def scanner_manifest():
    start = url_for("ticketing.scanner_app")
    manifest = {
        "name": _("EventDay scanner"),
        "short_name": _("Scanner"),
        "description": _("Check tickets in at the gate, online or offline."),
        "id": start,
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#111111",
        "theme_color": "#0b6e4f",
        "icons": [
            {
                "src": url_for("static", filename="img/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    response = Response(
        json.dumps(manifest, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
