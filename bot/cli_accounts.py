"""`complaint-bot staff list|remove` and `merchants list|unbind|legal`: who may act, for whom.

The same rules as the staff chat's `/staff` (dialogs/staff_admin.py): the last admin is never
removed, so the platform always has someone who can add staff. What the operator changes here
the staff chat hears, in the same transaction, as it would have seen a change made in the chat:
who may act there, and which merchant the bot can no longer reach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cases import credit_code
from cases.clock import SystemClock
from cases.model import MerchantLegal
from dialogs.types import Reply

if TYPE_CHECKING:
    from bot.cli import Console
    from bot.config import Settings
    from storage.uow import SqlUnitOfWork

    Uows = Callable[[], SqlUnitOfWork]


async def list_staff(uows: Uows, settings: Settings, console: Console) -> int:
    async with uows() as uow:
        members = await uow.staff.list()
    if not members:
        console.say("cli.staff_list_empty")
        return 0
    console.say("cli.staff_list_header", count=len(members))
    for member in members:
        console.say(
            "cli.staff_list_row",
            telegram_id=member.user_id,
            role=member.role,
            bootstrapped=member.user_id in settings.admin_ids,
        )
    return 0


async def remove_staff(
    uows: Uows, settings: Settings, console: Console, telegram_id: int
) -> int:
    async with uows() as uow:
        role = await uow.staff.role_of(telegram_id)
        if role is None:
            console.error("cli.staff_not_found", telegram_id=telegram_id)
            return 1
        admins = [m for m in await uow.staff.list() if m.role == "admin"]
        if role == "admin" and len(admins) == 1:
            console.error("cli.staff_last_admin", telegram_id=telegram_id)
            return 1
        await uow.staff.remove(telegram_id)
        await tell_staff(uow, settings, "staff.admin.operator_removed",
                         {"id": telegram_id, "role": role})
        await uow.commit()
    console.say("cli.staff_removed", telegram_id=telegram_id, role=role)
    if telegram_id in settings.admin_ids:
        # bot/app.py bootstrap_admins makes every ADMIN_IDS user an admin again at start.
        console.error("cli.staff_still_in_admin_ids", telegram_id=telegram_id)
    return 0


async def list_merchants(uows: Uows, console: Console) -> int:
    async with uows() as uow:
        accounts = await uow.merchants.list()
    if not accounts:
        console.say("cli.merchants_list_empty")
        return 0
    console.say("cli.merchants_list_header", count=len(accounts))
    for account in accounts:
        merchant = account.merchant
        console.say(
            "cli.merchants_list_row",
            code=merchant.code,
            name=merchant.name,
            telegram_id=merchant.telegram_user_id,
            link_pending=account.link_pending,
            open_cases=account.open_cases,
        )
    return 0


async def unbind_merchant(uows: Uows, settings: Settings, console: Console, code: str) -> int:
    async with uows() as uow:
        accounts = {account.merchant.code: account for account in await uow.merchants.list()}
        before = await uow.merchants.unbind(code)
        if before is None:
            console.error("cli.merchant_not_found", code=code)
            return 1
        await tell_staff(uow, settings, "staff.admin.operator_unbound", {
            "code": code,
            "name": before.name,
            "bound": before.telegram_user_id is not None,
            "open_cases": accounts[code].open_cases,
        })
        await uow.commit()
    console.say(
        "cli.merchant_unbound",
        code=code,
        name=before.name,
        telegram_id=before.telegram_user_id,
        open_cases=accounts[code].open_cases,
    )
    return 0


# The columns that hold them (storage/models.py MerchantRow).
LEGAL_NAME_MAX = 128
LEGAL_ADDRESS_MAX = 255


async def merchant_legal(
    uows: Uows, console: Console, code: str, given: tuple[str | None, str | None, str | None]
) -> int:
    """Shows the legal details, or sets those given (the first time, all three are needed)."""
    async with uows() as uow:
        if await uow.merchants.get(code) is None:
            console.error("cli.merchant_not_found", code=code)
            return 1
        before = await uow.merchants.legal(code)
        if given == (None, None, None):
            if before is None:
                console.say("cli.merchant_legal_none", code=code)
            else:
                console.say("cli.merchant_legal_shown", code=code, **_legal_params(before))
            return 0
        old = before or MerchantLegal("", "", "")
        name, address, code_text = (
            old_value if new is None else new.strip()
            for new, old_value in zip(given, (old.legal_name, old.address, old.credit_code),
                                      strict=True)
        )
        if not (name and address and code_text):
            console.error("cli.merchant_legal_incomplete", code=code)
            return 2
        if len(name) > LEGAL_NAME_MAX or len(address) > LEGAL_ADDRESS_MAX:
            console.error("cli.merchant_legal_too_long", name=LEGAL_NAME_MAX,
                          address=LEGAL_ADDRESS_MAX)
            return 2
        normalised = credit_code.normalise(code_text)
        problem = credit_code.problem(normalised)
        if problem is not None:
            console.error("cli.merchant_legal_bad_code", credit_code=code_text,
                          problem=problem.value)
            return 2
        legal = MerchantLegal(name, address, normalised)
        await uow.merchants.set_legal(code, legal)
        await uow.commit()
    console.say("cli.merchant_legal_saved", code=code, **_legal_params(legal))
    return 0


def _legal_params(legal: MerchantLegal) -> dict[str, str]:
    return {"legal_name": legal.legal_name, "address": legal.address,
            "credit_code": legal.credit_code}


async def tell_staff(
    uow: SqlUnitOfWork, settings: Settings, key: str, params: dict[str, object]
) -> None:
    """Queues a notice of the operator's change to the staff chat (when there is one)."""
    staff_chat = settings.staff_chat
    if staff_chat is None:
        return
    payload = Reply(key, params).to_payload(settings.default_locale)
    # Unkeyed: each change is its own notice (the same command run twice changed something
    # twice), and it is queued in the change's own transaction, so it cannot be queued twice.
    await uow.outbox.add(staff_chat, payload, SystemClock().now())
