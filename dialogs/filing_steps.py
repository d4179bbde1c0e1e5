"""The filing handlers: each takes the answer to one step and says where the dialog goes next.

A handler returns the next Step (whose question is then asked), Flow.STAY (it has already said
what the buyer needs to hear, e.g. a refusal that asks again) or Flow.END (the filing is over).
Every rule it applies comes from cases/; handlers only pick the words and the next step.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TypeVar

from cases.eligibility import (
    AmountVerdict,
    DescriptionVerdict,
    OrderVerdict,
    check_description,
    check_reason,
    check_refund_amount,
)
from cases.filing import (
    OwnershipVerdict,
    Submission,
    SubmissionRefused,
    ownership_lock,
    submit_complaint,
    verify_account,
)
from cases.model import Reason, RefundKind, RefundMethod
from cases.money import MoneyFormatError, parse_amount
from cases.policy import cap_rule_params
from dialogs import callbacks as cb
from dialogs import draft_reminders
from dialogs.context import Turn
from dialogs.draft import EditField, FilingDraft, Flow, Next, Step
from dialogs.filing_checks import (
    find_gap,
    find_order,
    order_check,
    proceed,
    reason_refused,
    refuse_order,
    revalidate,
    tell_open_case,
)
from dialogs.filing_prompts import load_order
from dialogs.status import answer_status, case_buttons, looks_like_case_no

E = TypeVar("E", bound=Enum)

# Longer answers are no order number, account name or amount; they are refused without being
# looked up or counted as a wrong ownership answer.
MAX_ORDER_NO = 64
MAX_ACCOUNT = 64
MAX_AMOUNT_TEXT = 20
_ORDER_NO_SPACES = re.compile(r"\s+")

# The step "Back" returns to when the buyer is not editing from the summary.
PREVIOUS: dict[Step, Step | None] = {
    Step.ORDER_NO: None,
    Step.OWNERSHIP: Step.ORDER_NO,
    # Ownership is a gate, not a field: back from the reason is back to the order number.
    Step.REASON: Step.ORDER_NO,
    Step.DESCRIPTION: Step.REASON,
    Step.EVIDENCE: Step.DESCRIPTION,
    Step.REFUND_KIND: Step.EVIDENCE,
    Step.REFUND_AMOUNT: Step.REFUND_KIND,
    Step.REFUND_METHOD: Step.REFUND_KIND,  # or the amount, for a partial refund
    Step.SUMMARY: Step.REFUND_METHOD,
}


# --- Handlers, in the order of the steps ----------------------------------------------------


async def take_order_no(turn: Turn, draft: FilingDraft, text: str) -> Next:
    """Checks the order number and asks for the account that placed it."""
    order_no = _ORDER_NO_SPACES.sub("", text)
    if not order_no or len(order_no) > MAX_ORDER_NO:
        turn.say("filing.order_no_invalid")
        return Flow.STAY
    order = await find_order(turn, order_no)
    if order is None:
        if looks_like_case_no(text) is not None:
            # A case number sent where the order number belongs: answer it, then ask again.
            await answer_status(turn, text)
            return Step.ORDER_NO
        turn.say("filing.order_unknown", order_no=order_no)
        return Flow.STAY
    check = await order_check(turn, order)
    if check.verdict is OrderVerdict.OPEN_CASE and check.open_case_no is not None:
        await tell_open_case(turn, check.open_case_no)
        return Flow.STAY
    if not check.ok:
        refuse_order(turn, order, check.verdict, check.closed_at)
        return Flow.STAY
    if draft.order_no != order.order_no:
        draft.verified = False
    draft.order_no = order.order_no
    if draft.verified:
        return await proceed(turn, draft, Step.REASON)
    locked_until = await ownership_lock(
        turn.uow, turn.env.clock, turn.policy, turn.user.user_id, order.order_no
    )
    if locked_until is not None:
        draft.order_no = None
        turn.say("filing.ownership_locked", locked_until=locked_until)
        return Flow.STAY
    return Step.OWNERSHIP


async def take_account(turn: Turn, draft: FilingDraft, text: str) -> Next:
    """Checks the platform account name against the order and asks for the reason."""
    answer = text.strip()
    if not answer or len(answer) > MAX_ACCOUNT:
        turn.say("filing.account_invalid")
        return Flow.STAY
    order = await load_order(turn, draft)
    if order is None:
        turn.say("filing.order_unknown", order_no=draft.order_no or "")
        return Step.ORDER_NO
    result = await verify_account(
        turn.uow, turn.env.clock, turn.policy, turn.user.user_id, order, answer
    )
    if result.verdict is OwnershipVerdict.OK:
        draft.verified = True
        await draft_reminders.schedule(turn, draft)
        return await proceed(turn, draft, Step.REASON)
    if result.verdict is OwnershipVerdict.WRONG:
        turn.say("filing.account_wrong", attempts_left=result.attempts_left)
        return Flow.STAY
    draft.order_no = None
    turn.say("filing.ownership_locked", locked_until=result.locked_until)
    return Step.ORDER_NO


async def take_reason(turn: Turn, draft: FilingDraft, value: str) -> Next:
    """Stores the reason, if its own window is still open, and asks for a description."""
    reason = _enum(Reason, value)
    if reason is None:
        return await stale(turn, draft, value)
    order = await load_order(turn, draft)
    if order is None:
        return await revalidate(turn, draft)
    check = check_reason(order, reason, turn.now, turn.policy)
    if not check.ok:
        turn.replies.append(reason_refused(turn, order, reason, check))
        return Step.REASON
    draft.reason = reason
    return await proceed(turn, draft, Step.DESCRIPTION)


async def take_description(turn: Turn, draft: FilingDraft, text: str) -> Next:
    """Stores a description of the right length and asks for evidence."""
    verdict = check_description(text, turn.policy)
    length = len(text.strip())
    if verdict is DescriptionVerdict.TOO_SHORT:
        turn.say("filing.description_too_short", min=turn.policy.description_min, length=length)
        return Flow.STAY
    if verdict is DescriptionVerdict.TOO_LONG:
        turn.say("filing.description_too_long", max=turn.policy.description_max, length=length)
        return Flow.STAY
    draft.description = text.strip()
    return await proceed(turn, draft, Step.EVIDENCE)


async def keep_description(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Keeps the description already given and moves on."""
    if draft.description is None:
        return await stale(turn, draft, cb.KEEP)
    return await proceed(turn, draft, Step.EVIDENCE)


async def take_refund_kind(turn: Turn, draft: FilingDraft, value: str) -> Next:
    """Stores full or partial refund and asks for the amount (partial) or the method."""
    kind = _enum(RefundKind, value)
    if kind is None:
        return await stale(turn, draft, value)
    draft.refund_kind = kind
    if kind is RefundKind.PARTIAL:
        return Step.REFUND_AMOUNT
    draft.partial_amount = None
    return await proceed(turn, draft, Step.REFUND_METHOD)


async def take_amount(turn: Turn, draft: FilingDraft, text: str) -> Next:
    """Stores a partial amount within the cap and asks for the refund method."""
    order = await load_order(turn, draft)
    if order is None:
        return await revalidate(turn, draft)
    cap = turn.policy.refund_cap(order.amount)
    rule = cap_rule_params(turn.policy, order.amount)
    money = {"cap_amount": cap, "currency": order.currency, "cap_rule": rule}
    cleaned = text.strip()
    try:
        # No exponents: "1e9999" is a valid Decimal but no amount anybody types.
        if len(cleaned) > MAX_AMOUNT_TEXT or "e" in cleaned.lower().removesuffix("cny"):
            raise MoneyFormatError(cleaned)
        amount = parse_amount(cleaned)
    except MoneyFormatError:
        turn.say_params("filing.amount_invalid", money)
        return Flow.STAY
    check = check_refund_amount(amount, order, turn.policy)
    if check.verdict is AmountVerdict.NOT_POSITIVE:
        turn.say_params("filing.amount_not_positive", money)
        return Flow.STAY
    if check.verdict is AmountVerdict.OVER_CAP:
        turn.say_params("filing.amount_over_cap", money)
        return Flow.STAY
    draft.partial_amount = amount
    return await proceed(turn, draft, Step.REFUND_METHOD)


async def keep_amount(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Keeps the partial amount already given and moves on."""
    if draft.partial_amount is None:
        return await stale(turn, draft, cb.KEEP)
    return await proceed(turn, draft, Step.REFUND_METHOD)


async def take_method(turn: Turn, draft: FilingDraft, value: str) -> Next:
    """Stores the refund method and shows the summary."""
    method = _enum(RefundMethod, value)
    if method is None:
        return await stale(turn, draft, value)
    draft.refund_method = method
    return await proceed(turn, draft, Step.SUMMARY)


async def edit_field(turn: Turn, draft: FilingDraft, value: str) -> Next:
    """Asks for one field again; answering it returns to the summary."""
    edit = _enum(EditField, value)
    if edit is None:
        return await stale(turn, draft, value)
    draft.editing = True
    return edit.step


async def submit(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Files the complaint once (a repeated Submit shows the same case) and ends the filing."""
    step = await revalidate(turn, draft)
    order = await load_order(turn, draft)
    if step is not Step.SUMMARY or order is None or draft.reason is None:
        draft.editing = True
        return step
    check = await order_check(turn, order)
    if check.verdict is OrderVerdict.OPEN_CASE and check.open_case_no is not None:
        await tell_open_case(turn, check.open_case_no)
        return Flow.END
    if not check.ok:
        refuse_order(turn, order, check.verdict, check.closed_at)
        return Flow.END
    submission = Submission(
        order_no=order.order_no,
        reason=draft.reason,
        description=draft.description or "",
        refund_kind=draft.refund_kind or RefundKind.FULL,
        refund_method=draft.refund_method or RefundMethod.ORIGINAL,
        partial_amount=draft.partial_amount,
        evidence=tuple(draft.files()),
        ticked=tuple(draft.ticked),
    )
    env = turn.env
    try:
        result = await submit_complaint(
            turn.uow,
            env.clock,
            env.policy,
            env.calendar,
            turn.user.user_id,
            submission,
            notifier=env.notifier,
        )
    except SubmissionRefused:
        # The clock moved past a window between the check above and the service's own.
        turn.say("filing.submit_refused")
        return Flow.END
    if not result.created:
        await tell_open_case(turn, result.case_no)
        return Flow.END
    turn.submitted_case_no = result.case_no
    turn.say(
        "filing.submitted",
        case_buttons(result.case_no),
        case_no=result.case_no,
        review_due=result.review_due_at,
        review_days=turn.policy.review_working_days,
        missing=list(result.missing),
        instant=result.instant,
    )
    return Flow.END


async def go_back(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Returns to the previous question (to the summary when editing a complete draft)."""
    if draft.editing and draft.step is not Step.SUMMARY:
        gap, _note = await find_gap(turn, draft)
        if gap is Step.SUMMARY:
            return gap
    previous = PREVIOUS[draft.step]
    if previous is None:
        turn.say("filing.left", cb.main_menu())
        return Flow.END
    if draft.step is Step.REFUND_METHOD and draft.refund_kind is RefundKind.PARTIAL:
        previous = Step.REFUND_AMOUNT
    if previous is Step.OWNERSHIP and draft.verified:
        previous = Step.ORDER_NO
    return previous


async def cancel(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Drops the draft; nothing is filed."""
    turn.say("filing.cancelled", cb.main_menu())
    return Flow.END


async def stale(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Says the button is no longer valid and asks the current question again."""
    turn.say("error.stale_button")
    return draft.step


def _enum(kind: type[E], value: str) -> E | None:
    try:
        return kind(value)
    except ValueError:
        return None
