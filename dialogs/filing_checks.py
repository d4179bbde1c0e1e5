"""Checks the filing handlers share: what is still missing, and how an order is refused.

The rules themselves live in cases/; this module turns their verdicts into the step to ask next
and the message that says why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.eligibility import (
    OrderCheck,
    OrderVerdict,
    ReasonCheck,
    check_order,
    check_reason,
    check_refund_amount,
    custom_reasons_open,
)
from cases.filing import case_for_viewer
from cases.model import Order, Reason, RefundKind, evidence_required
from cases.policy import cap_rule_params
from dialogs.context import Turn
from dialogs.draft import FilingDraft, Step
from dialogs.filing_checklist import required_missing
from dialogs.filing_prompts import limits, load_order
from dialogs.status import case_buttons
from dialogs.support import support_params
from dialogs.types import Reply


async def find_order(turn: Turn, text: str) -> Order | None:
    order = await turn.uow.orders.get(text)
    if order is None and text.upper() != text:
        order = await turn.uow.orders.get(text.upper())
    return order


async def tell_open_case(turn: Turn, case_no: str) -> None:
    """Shows the order's open case to its buyer; tells anyone else only that one exists."""
    case = await case_for_viewer(turn.uow, turn.user.user_id, case_no)
    if case is None:
        turn.say("filing.order_open_case_other", support=support_params(turn.env.support))
        return
    turn.say(
        "filing.order_has_open_case",
        case_buttons(case.case_no),
        case_no=case.case_no,
        status=case.status.value,
    )


async def find_gap(turn: Turn, draft: FilingDraft) -> tuple[Step, Reply | None]:
    """Returns the first step whose answer is missing or no longer valid, else the summary.

    With it comes the message that says why, when an earlier answer became invalid (a new
    reason's window, a new order's cap, a reason that now needs evidence).
    """
    order = await load_order(turn, draft)
    if order is None:
        note = None
        if draft.order_no is not None:
            note = Reply("filing.order_unknown", {"order_no": draft.order_no})
        return Step.ORDER_NO, note
    if not draft.verified:
        return Step.OWNERSHIP, None
    if draft.reason is None:
        return Step.REASON, None
    reason_check = check_reason(order, draft.reason, turn.now, turn.policy)
    if not reason_check.ok:
        return Step.REASON, reason_refused(turn, order, draft.reason, reason_check)
    if draft.description is None:
        return Step.DESCRIPTION, None
    if evidence_required(draft.reason) and not draft.evidence:
        return Step.EVIDENCE, Reply("filing.evidence_required", {"reason": draft.reason.value})
    required = required_missing(turn.policy, draft)
    if required:
        # The policy (or a new reason) requires an item the buyer has not ticked.
        return Step.EVIDENCE, Reply("checklist.required_missing", {"items": required})
    if draft.refund_kind is None:
        return Step.REFUND_KIND, None
    if draft.refund_kind is RefundKind.PARTIAL:
        if draft.partial_amount is None:
            return Step.REFUND_AMOUNT, None
        amount_check = check_refund_amount(draft.partial_amount, order, turn.policy)
        if not amount_check.ok:
            params = {
                "cap_amount": amount_check.cap,
                "currency": order.currency,
                "cap_rule": cap_rule_params(turn.policy, order.amount),
            }
            return Step.REFUND_AMOUNT, Reply("filing.amount_over_cap", params)
    if draft.refund_method is None:
        return Step.REFUND_METHOD, None
    return Step.SUMMARY, None


async def revalidate(turn: Turn, draft: FilingDraft) -> Step:
    """Returns the first step still to answer (see find_gap), saying why it is asked again."""
    step, note = await find_gap(turn, draft)
    if step is Step.ORDER_NO:
        draft.order_no = None
    if note is not None:
        turn.replies.append(note)
    return step


def reason_refused(turn: Turn, order: Order, reason: Reason, check: ReasonCheck) -> Reply:
    """Says which rule refuses the reason: custom goods (quoting the law) or the reason's window."""
    params: dict[str, Any]
    if check.custom:
        params = {
            "order_no": order.order_no,
            "product": order.product,
            "reason": reason.value,
            "open_reasons": [r.value for r in custom_reasons_open(turn.policy)],
        }
        return Reply("filing.reason_custom", params)
    params = {"closed_at": check.closed_at, "card_hours": limits(turn.policy)["card_hours"]}
    return Reply("filing.reason_window_closed", params)


async def proceed(turn: Turn, draft: FilingDraft, natural: Step) -> Step:
    """Returns the next step: the natural one, or back towards the summary when editing."""
    if draft.editing or natural is Step.SUMMARY:
        return await revalidate(turn, draft)
    return natural


async def order_check(turn: Turn, order: Order) -> OrderCheck:
    open_case = await turn.uow.cases.open_for_order(order.order_no)
    open_case_no = None if open_case is None else open_case.case_no
    return check_order(order, turn.now, turn.policy, open_case_no)


def refuse_order(
    turn: Turn, order: Order, verdict: OrderVerdict, closed_at: datetime | None
) -> None:
    if verdict is OrderVerdict.WINDOW_CLOSED:
        turn.say(
            "filing.order_window_closed",
            order_no=order.order_no,
            closed_at=closed_at,
            window_days=limits(turn.policy)["window_days"],
        )
    elif verdict is OrderVerdict.REFUNDED:
        turn.say("filing.order_refunded", order_no=order.order_no)
    elif verdict is OrderVerdict.CUSTOM:
        turn.say("filing.order_custom", order_no=order.order_no, product=order.product)
    else:
        turn.say("filing.order_unknown", order_no=order.order_no)
