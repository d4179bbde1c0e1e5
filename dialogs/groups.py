"""Groups other than the staff group.

A bot added to some group has nothing to do there, except one thing an operator setting it up
needs: the group's chat id, to make it the staff group (STAFF_CHAT_ID). So an admin who adds the
bot to a group, or sends /chatid in one, is told the id and what to set; everyone and everything
else there is ignored without a word, as people expect of a bot in their group.
"""

from __future__ import annotations

from cases.ports import UnitOfWork
from dialogs.context import DialogEnv, UserCtx
from dialogs.staff_actions import role_of
from dialogs.types import CommandIn, Event, OtherIn, Reply

# What the bot layer sends when the bot itself has just become a member of a group.
ADDED_TO_GROUP = OtherIn(kind="bot_added_to_group")


async def handle_other_group(
    event: Event, ctx: UserCtx, uow: UnitOfWork, env: DialogEnv
) -> list[Reply]:
    """Tells an admin the group's id when asked (/chatid) or on joining; silence otherwise."""
    asked = event == ADDED_TO_GROUP or (isinstance(event, CommandIn) and event.name == "chatid")
    if not asked or await role_of(uow, ctx.user_id) != "admin":
        return []
    return [
        Reply(
            "groups.chat_id",
            {"chat_id": ctx.chat, "staff_chat_id": env.staff_chat_id},
        )
    ]
