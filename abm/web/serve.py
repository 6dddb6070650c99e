"""Serve the web demo (``abm/web/page.py``) with Solara's server, offline and quietly.

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

APP = Path(__file__).with_name("page.py")
SETTINGS = {
    "SOLARA_APP": str(APP),
    "SOLARA_MODE": "production",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",  # else the server calls mixpanel and ipify
    "SOLARA_THEME_SHOW_BANNER": "false",  # Solara's "This website runs on Solara" covered the last chart
    # A tab's model (two runs: 5–20 MB of memory at 1:100) lives while its tab is connected; once it is closed
    # or cut off, Solara keeps it this long for a reconnect (its default is 24 h), then frees it.
    "SOLARA_KERNEL_CULL_TIMEOUT": "15m",
}  # (the PyPI version check belongs to `solara run` only; this starts uvicorn directly)
# Each can be overridden from the environment, e.g. SOLARA_KERNEL_CULL_TIMEOUT=2h abm serve.


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
