"""/deletemydata through the real dispatcher: files leave EVIDENCE_DIR, the audit still verifies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cases.model import CaseStatus, EvidenceStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.test_cli import run_cli
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

CONFIRM = re.compile(r"pd:yes:\d+")
SECOND_DESCRIPTION = "第二单也没有到账，客服一直不回复消息。"


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order(), order("KM202611250002"))
        yield running


async def forge(person: Person, data: str) -> None:
    """Presses callback data on the chat's latest bot message, whatever buttons it carries."""
    fake = person.fake
    query = {
        "id": person.harness.api.state.next_callback_query_id(),
        "from": fake.as_user(),
        "message": fake.bot_messages()[-1],
        "chat_instance": "forged",
        "data": data,
    }
    await person.feed({"callback_query": query})


async def _final_and_open_case(harness: BotHarness, buyer: Person) -> tuple[str, str]:
    final = await file_complaint(buyer)
    assert await harness.download_evidence() == 1
    await forge(buyer, f"b:wd:{final}")
    await buyer.click(f"b:wdy:{final}")
    # The same screenshot again: one stored file serves both cases.
    open_case = await file_complaint(buyer, "KM202611250002", SECOND_DESCRIPTION)
    assert await harness.download_evidence() == 1
    return final, open_case


def _audit_verifies(harness: BotHarness, tmp_path: Path, cases: int) -> None:
    """Runs `complaint-bot audit verify` on the bot's database, as an operator would."""
    url = harness.deps.settings.resolved_database_url
    result = run_cli(tmp_path, "audit", "verify", extra_env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert f"{cases} cases" in result.stdout
    # Filing, the downloads, the withdrawal and the removal each sealed the rows they changed.
    assert result.stderr == ""


def _stored_files(harness: BotHarness) -> list[Path]:
    root = harness.deps.settings.evidence_dir
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def _confirm_data(buyer: Person) -> str:
    """The callback data of the confirm button on the latest bot message."""
    markup = buyer.fake.bot_messages()[-1].get("reply_markup") or {}
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    [data] = [b["callback_data"] for b in buttons if CONFIRM.fullmatch(b["callback_data"])]
    return str(data)


async def test_deleting_keeps_the_open_case_and_empties_the_final_one(
    harness: BotHarness, tmp_path: Path
) -> None:
    buyer = harness.user()
    final, open_case = await _final_and_open_case(harness, buyer)
    async with harness.deps.uow() as uow:
        assert (await uow.cases.get(final)).status is CaseStatus.WITHDRAWN  # type: ignore[union-attr]
    assert len(_stored_files(harness)) == 1

    await buyer.send("/deletemydata")
    assert open_case in buyer.last_text()
    await buyer.click("删除我的数据")
    reply = buyer.last_text()
    assert "已删除" in reply
    assert final in reply
    assert open_case in reply

    # The open case still needs the same screenshot: its file stays until that case is done.
    assert await harness.download_evidence() == 1  # the removal job ran
    assert len(_stored_files(harness)) == 1
    async with harness.deps.uow() as uow:
        kept = await uow.cases.get(open_case)
        emptied = await uow.cases.get(final)
        [removed] = await uow.evidence.list(final)
        [still] = await uow.evidence.list(open_case)
    assert kept is not None
    assert kept.description.startswith("第二单")
    assert emptied is not None
    assert emptied.description == ""
    assert (removed.status, removed.file.file_id) == (EvidenceStatus.REMOVED, "")
    assert still.status is EvidenceStatus.STORED
    _audit_verifies(harness, tmp_path, cases=2)

    # Once the open case is finished too, a second request deletes the file for good.
    await forge(buyer, f"b:wd:{open_case}")
    await buyer.click(f"b:wdy:{open_case}")
    await buyer.send("/deletemydata")
    await buyer.click("删除我的数据")
    assert open_case in buyer.last_text()
    await harness.download_evidence()
    assert _stored_files(harness) == []
    _audit_verifies(harness, tmp_path, cases=2)


async def test_a_second_press_and_another_users_press_remove_nothing(harness: BotHarness) -> None:
    buyer = harness.user()
    final = await file_complaint(buyer)
    await forge(buyer, f"b:wd:{final}")
    await buyer.click(f"b:wdy:{final}")
    await buyer.send("/deletemydata")
    data = await _confirm_data(buyer)

    stranger = harness.user(user_id=2002)
    await stranger.send("/start")
    await forge(stranger, data)
    assert "已失效" in stranger.last_text()
    async with harness.deps.uow() as uow:
        assert (await uow.cases.get(final)).description != ""  # type: ignore[union-attr]

    await buyer.click(data)
    assert "已删除" in buyer.last_text()
    await forge(buyer, data)  # the same confirmation again
    assert "已失效" in buyer.last_text()
    async with harness.deps.uow() as uow:
        events = await uow.events.list(final)
    assert [e.action for e in events].count("personal_data_removed") == 1


async def test_deleting_mid_filing_drops_the_draft_and_starts_afresh(harness: BotHarness) -> None:
    buyer = harness.user()
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")
    await buyer.send("/deletemydata")
    assert "草稿" in buyer.last_text()
    await buyer.click("删除我的数据")
    assert "已删除" in buyer.last_text()
    async with harness.deps.uow() as uow:
        assert await uow.drafts.load(buyer.id) is None
    await buyer.send("/start")
    assert "继续" not in buyer.last_text()  # no unfinished complaint is offered
    await buyer.send("/complain KM202611250001")
    assert "账号" in buyer.last_text()  # asked to prove the order again, from the start


async def test_the_confirmation_keeps_the_language_chosen_with_language(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="zh-hans")
    await buyer.send("/language")
    await buyer.click("English")
    await buyer.send("/deletemydata")
    assert "Delete your personal data?" in buyer.last_text()
    await buyer.click("Delete my data")
    assert "Your personal data was deleted." in buyer.last_text()
