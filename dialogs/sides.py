"""Conversations beside filing, tried in order for what the buyer dialog does not answer itself.

The staff actions, the merchant's answers and a buyer's actions on a filed case each live in
their own module and register here; dialogs/buyer.py stays the one entry point the bot calls.
"""

from __future__ import annotations

from typing import Protocol

from dialogs.case_actions import BuyerCaseDialog
from dialogs.context import Turn
from dialogs.merchant import MerchantDialog
from dialogs.pending import PendingInput
from dialogs.staff import StaffDialog
from dialogs.types import CommandIn, Event


class SideDialog(Protocol):
    """Each method returns True when it answered the event, False to let the next one try.

    To ask for free text (a reason, an amount), a side dialog sets `turn.pending`; when the
    answer is taken or dropped it sets `turn.pending = None`. The buyer dialog saves it.
    """

    kind: str

    async def command(self, turn: Turn, command: CommandIn) -> bool: ...

    async def button(self, turn: Turn, data: str) -> bool: ...

    async def answer(self, turn: Turn, pending: PendingInput, event: Event) -> bool:
        """Takes the owed answer (`pending.kind == self.kind`); False leaves it to filing."""
        ...


SIDE_DIALOGS: tuple[SideDialog, ...] = (StaffDialog(), MerchantDialog(), BuyerCaseDialog())
