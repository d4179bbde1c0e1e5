"""A local Telegram Bot API server: the sandbox and the end-to-end tests run the real bot on it.

async with FakeBotAPI(token="123:ABC") as api:
    bot = api.make_bot()
    user = api.user(id=1001)
    await user.send_command("/start", "complain_A1")
    reply = await api.wait_for_call("sendMessage", chat_id=user.chat_id)
"""

from .files import StoredFile
from .limits import FloodLimits, Rate
from .records import ApiCall, SentMessage, Upload
from .server import FakeBotAPI
from .state import BotAPIError, BotState, FakeChat
from .users import FakeUser, NoSuchButton

__all__ = [
    "ApiCall",
    "BotAPIError",
    "BotState",
    "FakeBotAPI",
    "FakeChat",
    "FakeUser",
    "FloodLimits",
    "NoSuchButton",
    "Rate",
    "SentMessage",
    "StoredFile",
    "Upload",
]
