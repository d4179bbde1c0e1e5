"""The offline sandbox: a local Telegram Bot API server the bot can talk to without Telegram.

`sandbox.botapi` speaks the Bot API the way Telegram does where the bot can tell the difference;
the end-to-end tests and the stories run the real bot against it.
"""
