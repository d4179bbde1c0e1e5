"""What staff read: the card with its timeline, the queue by deadline, the evidence files."""

from __future__ import annotations

from datetime import timedelta

from cases.clock import ManualClock
from cases.model import CaseStatus, Reason
from dialogs.context import DialogEnv
from dialogs.notices import CaseNotifier
from dialogs.types import FileReply
from tests.fakes.chat import Chat, make_order, photo, video
from tests.fakes.staff import AGENT, BUYER_ID, STAFF_GROUP, StaffChat, file_case, seed_staff
from tests.fakes.uow import FakeStore


async def test_the_card_shows_the_case_and_its_timeline(
    store: FakeStore, env: DialogEnv
) -> None:
    seed_staff(store)
    case_no = await file_case(store, env)
    agent = StaffChat(store, env, AGENT)
    await agent.send(f"/take {case_no}")
    answer = await agent.send(f"/case {case_no}")
    assert answer.keys == ["staff.card", "staff.timeline"]
    card = answer.params("staff.card")
    assert (card["order_no"], card["product"], card["order_amount"]) == (
        "A1001",
        "王者荣耀 点券 300",
        3000,
    )
    assert (card["evidence_count"], card["refund_amount"], card["status"]) == (2, 3000, "in_review")
    assert card["assignee"] == {"id": AGENT, "username": f"staff{AGENT}"}
    text = answer.text()
    assert "联系商家 &lt;b&gt;无回复&lt;/b&gt;" in text  # the buyer's text is escaped
    assert "提交投诉" in text
    assert "接手" in text
    assert f"st:take:{case_no}" not in answer.buttons  # already taken
    assert f"st:rej:{case_no}" in answer.buttons
    assert f"st:ev:{case_no}" in answer.buttons


async def test_internal_notes_show_on_the_staff_card_and_never_reach_the_buyer(
    store: FakeStore, env: DialogEnv, chat: Chat
) -> None:
    seed_staff(store)
    case_no = await file_case(store, env)
    notifier = CaseNotifier.from_env(DialogEnv(env.clock, env.policy, env.calendar, STAFF_GROUP))
    agent = StaffChat(store, env, AGENT, notifier=notifier)  # type: ignore[arg-type]
    await agent.send(f"/note {case_no} 买家疑似职业索赔，谨慎处理")
    card = await agent.send(f"/case {case_no}")
    assert "🔒 内部备注：买家疑似职业索赔，谨慎处理" in card.text()
    status = await chat.send(f"/status {case_no}")  # the buyer's own view of the case
    assert "职业索赔" not in status.text()
    assert all(row.chat_id != BUYER_ID for row in store.outbox)
    assert all("职业索赔" not in str(row.payload) for row in store.outbox)


async def test_the_timeline_shows_the_latest_events_and_counts_the_rest(
    store: FakeStore, env: DialogEnv
) -> None:
    seed_staff(store)
    case_no = await file_case(store, env)
    agent = StaffChat(store, env, AGENT)
    for n in range(12):
        await agent.send(f"/note {case_no} 第 {n} 次跟进")
    timeline = (await agent.send(f"/case {case_no}")).params("staff.timeline")
    assert timeline["omitted"] == 3
    assert [event["note"] for event in timeline["events"]][-1] == "第 11 次跟进"


async def test_the_queue_lists_open_cases_by_nearest_deadline(
    store: FakeStore, env: DialogEnv, clock: ManualClock
) -> None:
    seed_staff(store)
    for order_no in ("A1002", "A1003", "A1004"):
        store.orders[order_no] = make_order(order_no)
    clock.advance(timedelta(days=4))  # Monday: the latest review deadline
    monday = await file_case(store, env, "A1002")
    clock.advance(timedelta(days=-4))  # Thursday: the nearest
    thursday = await file_case(store, env, "A1003")
    clock.advance(timedelta(days=1))  # Friday
    friday = await file_case(store, env, "A1004")
    closed = await file_case(store, env, "A1001")
    agent = StaffChat(store, env, AGENT)
    await agent.send(f"/reject {closed} 重复投诉")
    answer = await agent.send("/queue")
    listed = [item["case_no"] for item in answer.params("staff.queue")["cases"]]
    assert listed == [thursday, friday, monday]
    assert answer.buttons == [f"st:card:{n}" for n in listed]
    opened = await agent.click(answer.buttons[0])
    assert opened.params("staff.card")["case_no"] == thursday


async def test_an_empty_queue_says_so(store: FakeStore, env: DialogEnv) -> None:
    seed_staff(store)
    assert (await StaffChat(store, env, AGENT).send("/queue")).keys == ["staff.queue_empty"]


async def test_viewing_evidence_resends_every_file_as_it_came(
    store: FakeStore, env: DialogEnv
) -> None:
    seed_staff(store)
    case_no = await file_case(store, env, evidence=(photo(1), video(2)))
    answer = await StaffChat(store, env, AGENT).click(f"st:ev:{case_no}")
    files = [reply for reply in answer if isinstance(reply, FileReply)]
    assert [(f.file_kind, f.file_id) for f in files] == [("photo", "photo-1"), ("video", "video-2")]
    assert answer.keys[0] == "staff.evidence_header"
    assert store.cases[case_no].status is CaseStatus.SUBMITTED  # looking changes nothing


async def test_a_case_without_evidence_says_so(store: FakeStore, env: DialogEnv) -> None:
    seed_staff(store)
    case_no = await file_case(store, env, evidence=(), reason=Reason.OTHER)
    answer = await StaffChat(store, env, AGENT).click(f"st:ev:{case_no}")
    assert answer.keys == ["staff.evidence_none"]


async def test_staffhelp_lists_the_commands(store: FakeStore, env: DialogEnv) -> None:
    seed_staff(store)
    answer = await StaffChat(store, env, AGENT).send("/staffhelp")
    assert "/queue" in answer.text()
    assert "/rule" in answer.text()


async def test_the_card_shows_the_risk_signals_with_their_reasons(
    store: FakeStore, env: DialogEnv
) -> None:
    seed_staff(store)
    store.orders["A1002"] = make_order("A1002")
    first = await file_case(store, env, "A1002")
    agent = StaffChat(store, env, AGENT)
    await agent.send(f"/reject {first} 订单已发货，卡密已被买家本人使用")
    case_no = await file_case(store, env)
    card = await agent.send(f"/case {case_no}")
    risk = card.params("staff.card")["risk"]
    assert risk["signals"][0] == {
        "name": "earlier",
        "points": 20,
        "count": 1,
        "rejected": 1,
        "withdrawn": 0,
        "for_buyer": 0,
    }
    text = card.text()
    assert "风险分" in text
    assert "未获支持 1 条，撤回 0 条，支持买家 0 条（+20 分）" in text
    assert "商家近 30 天的其他投诉：未发货或未到账 1 件" in text
