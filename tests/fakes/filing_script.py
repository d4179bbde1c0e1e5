"""The standard answers of a complaint, to bring a chat to any filing step in one line."""

from __future__ import annotations

from dialogs.draft import Step
from dialogs.session import Session, parse_session
from tests.fakes.chat import Answer, Chat, photo
from tests.fakes.uow import FakeStore

ORDER_NO = "A1001"
ACCOUNT = "Buyer_One"
DESCRIPTION = "商家一直没有发货，客服也联系不上。"

# The step each answer leads to, in the order a buyer meets them (partial refund path).
_SCRIPT: list[tuple[Step, str, str]] = [
    (Step.OWNERSHIP, "send", ORDER_NO),
    (Step.REASON, "send", ACCOUNT),
    (Step.DESCRIPTION, "click", "f:reason:not_delivered"),
    (Step.EVIDENCE, "send", DESCRIPTION),
    (Step.EVIDENCE, "upload", ""),
    (Step.REFUND_KIND, "click", "f:done"),
    (Step.REFUND_AMOUNT, "click", "f:refund:partial"),
    (Step.REFUND_METHOD, "send", "12.50"),
    (Step.SUMMARY, "click", "f:method:original"),
]


async def reach(chat: Chat, step: Step) -> Answer:
    """Starts a complaint and answers every step before `step`; returns the last answer."""
    answer = await chat.send("/complain")
    for reached, action, value in _SCRIPT:
        if step is Step.ORDER_NO:
            break
        if action == "send":
            answer = await chat.send(value)
        elif action == "click":
            answer = await chat.click(value)
        else:
            answer = await chat.upload(photo(1))
        assert saved_step(chat.store, chat.user_id) is reached, answer.keys
        if reached is step:
            break
    assert saved_step(chat.store, chat.user_id) is step
    return answer


def saved_session(store: FakeStore, user_id: int = 1001) -> Session:
    raw = store.drafts.get(user_id)
    assert raw is not None, "no saved dialog state"
    session = parse_session(raw)
    assert session is not None, raw
    return session


def saved_step(store: FakeStore, user_id: int = 1001) -> Step | None:
    raw = store.drafts.get(user_id)
    session = parse_session(raw) if raw else None
    if session is None or session.draft is None:
        return None
    return session.draft.step
