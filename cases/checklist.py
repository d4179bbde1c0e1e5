"""The evidence checklist: per complaint reason, the items the platform expects to see.

The buyer ticks each item once a file (or, for a detail, the description) shows it. A tick is the
buyer's word, not the bot's judgement: a picture of a redeem error and a picture of an account
page are both just photos to the bot (reading screenshots is a background job that runs after
filing), while the buyer knows what they sent. One press per item costs little and gives staff
a stated claim to check against the files. A picture item can only be ticked once a file is
attached, so a tick always has something behind it.

The checklist guides; it blocks Done and Submit only for items the policy marks required.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cases.model import Reason


class ChecklistItem(StrEnum):
    REDEEM_ERROR = "redeem_error"  # screenshot of the error shown when redeeming the card code
    CARD_CODE = "card_code"  # the card code itself
    ACCOUNT_RECORD = "account_record"  # the account page with the balance / top-up record
    TOPUP_ACCOUNT = "topup_account"  # the account id that should have been topped up
    LISTING = "listing"  # the listing as the merchant advertised it
    DELIVERED = "delivered"  # what was actually delivered
    PAYMENT_PROOF = "payment_proof"
    CHAT_RECORD = "chat_record"  # the chat with the merchant
    PROBLEM_SHOT = "problem_shot"  # a screenshot or video that shows the problem
    PROMISED_TIME = "promised_time"  # where the merchant promised a delivery time
    COUNTERPARTY_PAGE = "counterparty_page"  # the other party's account or shop page

    @property
    def needs_file(self) -> bool:
        """Pictures must come as a file; a detail may be written in the description instead."""
        return self not in _DETAILS


_DETAILS = frozenset({ChecklistItem.CARD_CODE, ChecklistItem.TOPUP_ACCOUNT})

_I = ChecklistItem
DEFAULT_CHECKLIST: tuple[tuple[Reason, tuple[ChecklistItem, ...]], ...] = (
    (Reason.NOT_DELIVERED, (_I.ACCOUNT_RECORD, _I.TOPUP_ACCOUNT)),
    (Reason.CARD_INVALID, (_I.REDEEM_ERROR, _I.CARD_CODE)),
    (Reason.NOT_AS_DESCRIBED, (_I.LISTING, _I.DELIVERED)),
    (Reason.QUALITY, (_I.PROBLEM_SHOT, _I.CHAT_RECORD)),
    (Reason.SERVICE_DELAYED, (_I.PROMISED_TIME, _I.CHAT_RECORD)),
    (Reason.FALSE_ADVERTISING, (_I.LISTING, _I.DELIVERED)),
    (Reason.FRAUD, (_I.PAYMENT_PROOF, _I.CHAT_RECORD, _I.COUNTERPARTY_PAGE)),
)

# Where the submit event keeps the checklist, in the policy's order: "item:given" or
# "item:missing", with ":required" for an item the policy required ("redeem_error:given,...").
EVENT_KEY = "checklist"


@dataclass(frozen=True)
class ItemState:
    item: ChecklistItem
    given: bool
    required: bool


def parse_ticks(raw: Iterable[str]) -> tuple[ChecklistItem, ...]:
    """Reads stored item ids, skipping any the bot no longer knows."""
    known = {item.value for item in ChecklistItem}
    return tuple(ChecklistItem(value) for value in raw if value in known)


def states(
    items: Sequence[ChecklistItem], required: frozenset[ChecklistItem], ticked: Iterable[str]
) -> list[ItemState]:
    """The reason's items in the policy's order, each given or not, required or not."""
    done = set(parse_ticks(ticked))
    return [ItemState(item, item in done, item in required) for item in items]


def missing(states_: Sequence[ItemState]) -> list[ChecklistItem]:
    return [state.item for state in states_ if not state.given]


def missing_required(states_: Sequence[ItemState]) -> list[ChecklistItem]:
    return [state.item for state in states_ if state.required and not state.given]


def event_extra(states_: Sequence[ItemState]) -> dict[str, str]:
    """The checklist as the submit event records it (empty when the reason has no items)."""
    if not states_:
        return {}
    entries = [
        f"{state.item.value}:{'given' if state.given else 'missing'}"
        + (":required" if state.required else "")
        for state in states_
    ]
    return {EVENT_KEY: ",".join(entries)}


def from_event_extra(extra: dict[str, str]) -> list[ItemState] | None:
    """The checklist a submit event recorded, or None for a case filed without one."""
    raw = extra.get(EVENT_KEY)
    if raw is None:
        return None
    known = {item.value for item in ChecklistItem}
    result = []
    for entry in raw.split(","):
        item, _, rest = entry.partition(":")
        if item in known:
            flags = rest.split(":")
            result.append(ItemState(ChecklistItem(item), "given" in flags, "required" in flags))
    return result


# Reading the policy file's keys (cases/policy.py names them).


def parse_items(raw: object) -> tuple[ChecklistItem, ...]:
    if not isinstance(raw, list):
        raise TypeError('expected a list of checklist items, e.g. ["redeem_error"]')
    items: list[ChecklistItem] = []
    for entry in raw:
        try:
            item = ChecklistItem(str(entry).strip().lower())
        except ValueError as exc:
            choices = ", ".join(item.value for item in ChecklistItem)
            raise ValueError(f"{entry!r} is no checklist item; expected some of {choices}") from exc
        if item not in items:
            items.append(item)
    return tuple(items)


def parse_checklist(raw: object) -> tuple[tuple[Reason, tuple[ChecklistItem, ...]], ...]:
    """A table of reason = [items]; a reason not in the table keeps its default items."""
    if not isinstance(raw, dict):
        raise TypeError('expected a table such as { card_invalid = ["redeem_error"] }')
    table = dict(DEFAULT_CHECKLIST)
    for key, items in raw.items():
        try:
            reason = Reason(key.strip().lower())
        except ValueError as exc:
            choices = ", ".join(reason.value for reason in Reason)
            raise ValueError(f"{key!r} is no reason; expected one of {choices}") from exc
        table[reason] = parse_items(items)
    return tuple((reason, table[reason]) for reason in Reason if table.get(reason))


def parse_required(raw: object) -> frozenset[ChecklistItem]:
    return frozenset(parse_items(raw))
