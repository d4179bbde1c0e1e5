"""`/staff`: admins list, add and remove staff from the chat (the CLI does the same offline).

Only an admin may change roles, checked on every command; the last admin cannot remove or
demote themselves, so the platform is never left without someone who can add staff.
"""

from __future__ import annotations

from dialogs.context import Turn
from dialogs.staff_actions import STAFF_ROLES, role_of

# The roles as staff may type them in Chinese too.
_ROLE_WORDS = {
    "agent": "agent",
    "客服": "agent",
    "arbitrator": "arbitrator",
    "仲裁员": "arbitrator",
    "admin": "admin",
    "管理员": "admin",
}


async def staff_command(turn: Turn, args: str) -> None:
    """Answers /staff, /staff add ID ROLE and /staff remove ID for admins."""
    if await role_of(turn.uow, turn.user.user_id) != "admin":
        turn.say("staff.refused.not_admin")
        return
    words = args.split()
    verb = words[0].lower() if words else ""
    if not words or verb == "list":
        await _list(turn)
    elif verb == "add" and len(words) == 3:
        await _add(turn, words[1], words[2])
    elif verb == "remove" and len(words) == 2:
        await _remove(turn, words[1])
    else:
        turn.say("staff.admin.usage")


async def _list(turn: Turn) -> None:
    members = await turn.uow.staff.list()
    items = []
    for member in members:
        profile = await turn.uow.users.get(member.user_id)
        items.append(
            {
                "id": member.user_id,
                "role": member.role if member.role in STAFF_ROLES else "agent",
                "username": profile.username if profile and profile.username else "",
            }
        )
    turn.say("staff.admin.list", members=items, count=len(items))


def _user_id(turn: Turn, text: str) -> int | None:
    # Telegram user ids are positive integers; group ids (negative) are no one's account.
    if not text.isdigit() or int(text) <= 0:
        turn.say("staff.admin.bad_id", text=text[:40])
        return None
    return int(text)


async def _add(turn: Turn, id_text: str, role_text: str) -> None:
    user_id = _user_id(turn, id_text)
    if user_id is None:
        return
    role = _ROLE_WORDS.get(role_text.lower())
    if role is None:
        turn.say("staff.admin.bad_role", text=role_text[:40])
        return
    before = await role_of(turn.uow, user_id)
    if before == role:
        turn.say("staff.admin.unchanged", id=user_id, role=role)
        return
    if before == "admin" and await _last_admin(turn):
        turn.say("staff.admin.last_admin", id=user_id)
        return
    await turn.uow.staff.set_role(user_id, role, turn.now)
    turn.say("staff.admin.added", id=user_id, role=role, before=before or "")


async def _remove(turn: Turn, id_text: str) -> None:
    user_id = _user_id(turn, id_text)
    if user_id is None:
        return
    before = await role_of(turn.uow, user_id)
    if before is None:
        turn.say("staff.admin.not_member", id=user_id)
        return
    if before == "admin" and await _last_admin(turn):
        turn.say("staff.admin.last_admin", id=user_id)
        return
    await turn.uow.staff.remove(user_id)
    turn.say("staff.admin.removed", id=user_id, role=before)


async def _last_admin(turn: Turn) -> bool:
    members = await turn.uow.staff.list()
    return sum(1 for member in members if member.role == "admin") <= 1
