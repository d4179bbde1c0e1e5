"""`make run`: the real bot with BOT_TOKEN, the offline sandbox without it."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot import cli
from bot.config import Settings


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"complaint-bot: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    if settings.bot_token is not None:
        return cli.main(["run"])
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from sandbox.runner import run_sandbox

    return asyncio.run(run_sandbox(settings, cli.Console(settings)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
