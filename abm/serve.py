"""Serve the web demo (``abm/app.py``) with Solara's server, offline and quietly.

Solara reads its settings from the environment when it is imported, so they are
set here first: the app, production mode, no telemetry. Assets come from the
cache filled by ``scripts/fetch_web_assets.sh`` (``<venv>/share/solara/cdn``).
Ctrl-C (SIGINT) or SIGTERM stop the server cleanly.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")
SETTINGS = {
    "SOLARA_APP": str(APP),
    "SOLARA_MODE": "production",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",  # else the server calls mixpanel and ipify
}  # (the PyPI version check belongs to `solara run` only; this starts uvicorn directly)


def assets_dir() -> Path:
    """Where Solara looks for cached front-end assets."""
    return Path(os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR", Path(sys.prefix) / "share" / "solara" / "cdn"))


def serve(host: str = "127.0.0.1", port: int = 8765, say=print) -> int:
    """Run the server until interrupted; exit status 0 after Ctrl-C."""
    for key, value in SETTINGS.items():
        os.environ.setdefault(key, value)
    if not any(assets_dir().glob("@widgetti/solara-vuetify-app@*")):
        say(f"abm serve: warning: no web assets in {assets_dir()}; run scripts/fetch_web_assets.sh (needs npm)")
    import uvicorn

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    say(f"abm serve: the demo is at http://{host}:{port}/ (Ctrl-C stops it)")
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn shuts down cleanly, then re-raises SIGINT
        server.run()
    say("abm serve: stopped")
    return 0
