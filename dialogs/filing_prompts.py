"""What each filing step says when it asks: the message key, its data, and its buttons."""

from __future__ import annotations

from datetime import timedelta

from cases.filing import requested_amount
from cases.model import Order, Reason, RefundKind, RefundMethod, evidence_required
from cases.policy import MIB, Policy, cap_rule_params
from dialogs import callbacks as cb
from dialogs.context import ButtonRows, Turn
from dialogs.draft import EditField, FilingDraft, Step
from dialogs.filing_checklist import checklist_params, draft_states, tick_buttons
from dialogs.types import Button

# Two reason buttons a row: the Chinese labels fit side by side on a phone.
_REASONS_PER_ROW = 2


def whole_days(span: timedelta) -> int:
    return int(span.total_seconds() // 86400)


def whole_hours(span: timedelta) -> int:
    return int(span.total_seconds() // 3600)


def limits(policy: Policy) -> dict[str, int]:
    """The numbers the texts quote when they state a rule."""
    return {
        "window_days": whole_days(policy.complaint_window),
        "card_hours": whole_hours(policy.card_code_window),
        "max_files": policy.max_evidence_files,
        "max_mb": policy.max_evidence_bytes // MIB,
    }


def nav_row() -> tuple[Button, ...]:
    return (cb.button("btn.back", cb.BACK), cb.button("btn.cancel", cb.CANCEL))


def reason_buttons() -> ButtonRows:
    buttons = [cb.button(f"reason.{reason.value}", cb.REASON + reason.value) for reason in Reason]
    rows = [
        tuple(buttons[index : index + _REASONS_PER_ROW])
        for index in range(0, len(buttons), _REASONS_PER_ROW)
    ]
    return (*rows, nav_row())


def evidence_buttons(draft: FilingDraft, policy: Policy) -> ButtonRows:
    """The checklist's ticks, then Done (and Clear all once files came), then Back / Cancel."""
    first: tuple[Button, ...] = (cb.button("btn.done", cb.DONE),)
    if draft.evidence:
        first = (*first, cb.button("btn.clear_evidence", cb.CLEAR_EVIDENCE))
    return (*tick_buttons(policy, draft), first, nav_row())


def resume_buttons() -> ButtonRows:
    return ((cb.button("btn.resume", cb.RESUME), cb.button("btn.restart", cb.RESTART)),)


async def load_order(turn: Turn, draft: FilingDraft) -> Order | None:
    if draft.order_no is None:
        return None
    return await turn.uow.orders.get(draft.order_no)


async def ask(turn: Turn, draft: FilingDraft) -> None:
    """Asks for what the draft's current step needs."""
    policy = turn.policy
    step = draft.step
    if step is Step.ORDER_NO:
        turn.say("filing.ask_order_no", (nav_row(),), window_days=limits(policy)["window_days"])
    elif step is Step.OWNERSHIP:
        turn.say(
            "filing.ask_account",
            (nav_row(),),
            order_no=draft.order_no,
            attempts=policy.ownership_max_failures,
            lock_hours=f"{policy.ownership_lock.total_seconds() / 3600:g}",
        )
    elif step is Step.REASON:
        turn.say(
            "filing.ask_reason",
            reason_buttons(),
            order_no=draft.order_no,
            card_hours=limits(policy)["card_hours"],
        )
    elif step is Step.DESCRIPTION:
        keep = (cb.button("btn.keep", cb.KEEP),) if draft.description else ()
        turn.say(
            "filing.ask_description",
            (*((keep,) if keep else ()), nav_row()),
            min=policy.description_min,
            max=policy.description_max,
            current=draft.description,
        )
    elif step is Step.EVIDENCE:
        ask_evidence(turn, draft)
    else:
        await _ask_with_order(turn, draft)


def ask_evidence(turn: Turn, draft: FilingDraft) -> None:
    reason = draft.reason or Reason.OTHER
    turn.say(
        "filing.ask_evidence",
        evidence_buttons(draft, turn.policy),
        reason=reason.value,
        checklist=checklist_params(draft_states(turn.policy, draft)),
        required=evidence_required(reason),
        count=len(draft.evidence),
        max_files=turn.policy.max_evidence_files,
        max_mb=limits(turn.policy)["max_mb"],
    )


async def _ask_with_order(turn: Turn, draft: FilingDraft) -> None:
    """Asks the refund and summary steps, which quote the order's amounts."""
    order = await load_order(turn, draft)
    if order is None:
        # The order vanished from the platform's export since it was checked.
        draft.step = Step.ORDER_NO
        turn.say("filing.order_unknown", order_no=draft.order_no or "")
        await ask(turn, draft)
        return
    cap = turn.policy.refund_cap(order.amount)
    money = {
        "order_amount": order.amount,
        "cap_amount": cap,
        "currency": order.currency,
        "cap_rule": cap_rule_params(turn.policy, order.amount),
    }
    step = draft.step
    if step is Step.REFUND_KIND:
        full = cb.button(
            "btn.refund_full",
            cb.REFUND + RefundKind.FULL.value,
            cap_amount=cap,
            order_amount=order.amount,
            currency=order.currency,
        )
        partial = cb.button("btn.refund_partial", cb.REFUND + RefundKind.PARTIAL.value)
        turn.say_params("filing.ask_refund_kind", money, ((full, partial), nav_row()))
    elif step is Step.REFUND_AMOUNT:
        keep = (cb.button("btn.keep", cb.KEEP),) if draft.partial_amount else ()
        turn.say_params(
            "filing.ask_refund_amount",
            {**money, "current_amount": draft.partial_amount},
            (*((keep,) if keep else ()), nav_row()),
        )
    elif step is Step.REFUND_METHOD:
        methods = tuple(
            cb.button(f"refund_method.{method.value}", cb.METHOD + method.value)
            for method in RefundMethod
        )
        turn.say("filing.ask_refund_method", (methods, nav_row()))
    else:
        summary(turn, draft, order)


def summary(turn: Turn, draft: FilingDraft, order: Order) -> None:
    """Shows every field with an Edit button each, then Submit and Cancel."""
    kind = draft.refund_kind or RefundKind.FULL
    amount = requested_amount(order, turn.policy, kind, draft.partial_amount or 0)
    edit = {
        field: cb.button(f"btn.edit_{field.value}", cb.EDIT + field.value) for field in EditField
    }
    buttons: ButtonRows = (
        (edit[EditField.ORDER], edit[EditField.REASON]),
        (edit[EditField.DESCRIPTION], edit[EditField.EVIDENCE]),
        (edit[EditField.REFUND], edit[EditField.METHOD]),
        (cb.button("btn.submit", cb.SUBMIT),),
        nav_row(),
    )
    turn.say(
        "filing.summary",
        buttons,
        order_no=order.order_no,
        product=order.product,
        order_amount=order.amount,
        currency=order.currency,
        reason=(draft.reason or Reason.OTHER).value,
        description=draft.description or "",
        evidence_count=len(draft.evidence),
        checklist=checklist_params(draft_states(turn.policy, draft)),
        refund_kind=kind.value,
        refund_amount=amount,
        cap_rule=(
            cap_rule_params(turn.policy, order.amount)
            if kind is RefundKind.FULL and amount == turn.policy.refund_cap(order.amount)
            else None
        ),
        refund_method=(draft.refund_method or RefundMethod.ORIGINAL).value,
    )
