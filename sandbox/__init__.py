"""The offline sandbox: the real bot on this machine, with no Telegram account and no internet.

`make run` without BOT_TOKEN runs `python -m sandbox` (runner.py): a local Bot API server
(`sandbox.botapi`, on 127.0.0.1 only), the production bot long polling it with its own SQLite
database under DATA_DIR/sandbox, the sandbox clock (clock.py) that people move forward to watch
deadlines fire, and the web chat (`sandbox.web`) built on the handle in handle.py. The end-to-end
tests and the stories run the real bot against the same `sandbox.botapi`.
"""
