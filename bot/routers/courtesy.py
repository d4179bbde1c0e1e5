"""Bot API calls that only tidy up the chat: stopping a button's spinner, retiring a keyboard.

They run around a dialog step whose outcome is already decided (and, after the commit, already
recorded with its replies), so their failure must not fail the update: handling it again would
change nothing, and a step failed after its commit would leave its replies waiting for the
sender loop instead of sending them now. A keyboard that could not be retired is left as it is
rather than queued again: a press on it later is answered as a stale button by the dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramBadRequest

log = logging.getLogger(__name__)


async def tidy(call: Awaitable[object], what: str) -> None:
    """Awaits `call`; Telegram's refusals and transient errors are logged, not raised."""
    try:
        await call
    except TelegramBadRequest as exc:
        # The query is too old to answer, the keyboard is gone already: nothing left to tidy.
        log.debug("%s: %s", what, exc.message)
    except (TelegramAPIError, ClientDecodeError, OSError) as exc:
        log.warning("%s failed, left as it is: %s", what, exc)
