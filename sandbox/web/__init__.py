"""The sandbox's web chat: buyer, merchant and staff side by side in one browser page.

`build_web_app(handle)` is what the sandbox runner serves on 127.0.0.1 (SANDBOX_PORT).
"""

from .app import build_web_app

__all__ = ["build_web_app"]
