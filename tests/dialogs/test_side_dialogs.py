"""The buyer dialog gives side conversations (staff, merchant, case actions) their turn first."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from dialogs import buyer
from dialogs.context import Turn
from dialogs.pending import PendingInput
from dialogs.types import CommandIn, Event, TextIn
from tests.fakes.chat import Chat


@dataclass
class EchoSide:
    """Asks for a reason on `x:ask:<case>` and takes the next text as the answer."""

    kind: str = "echo"
    answers: list[str] = field(default_factory=list)

    async def command(self, turn: Turn, command: CommandIn) -> bool:
        if command.name != "echo":
            return False
        turn.say("side.input_dropped", case_no="command")
        return True

    async def button(self, turn: Turn, data: str) -> bool:
        if not data.startswith("x:ask:"):
            return False
        turn.pending = PendingInput(
            kind=self.kind,
            action="reason",
            case_no=data.removeprefix("x:ask:"),
            chat_id=turn.user.chat,
            asked_at=turn.now,
        )
        turn.say("side.input_dropped", case_no="asked")
        return True

    async def answer(self, turn: Turn, pending: PendingInput, event: Event) -> bool:
        if not isinstance(event, TextIn):
            return False
        self.answers.append(f"{pending.case_no}:{event.text}")
        turn.pending = None
        turn.say("side.input_dropped", case_no="answered")
        return True


@pytest.fixture
def side(monkeypatch: pytest.MonkeyPatch) -> EchoSide:
    echo = EchoSide()
    monkeypatch.setattr(buyer, "SIDE_DIALOGS", (echo,))
    return echo


async def test_a_side_command_is_answered_by_its_dialog(side: EchoSide, chat: Chat) -> None:
    answer = await chat.send("/echo")
    assert answer.params("side.input_dropped")["case_no"] == "command"


async def test_an_owed_answer_survives_a_restart_and_is_taken_once(
    side: EchoSide, chat: Chat
) -> None:
    await chat.click("x:ask:TS20261126-AAAAA")
    restarted = chat.restart()
    await restarted.send("because the code was used")
    assert side.answers == ["TS20261126-AAAAA:because the code was used"]
    answer = await restarted.send("because the code was used")
    assert "side.input_dropped" not in answer.keys  # back to the buyer dialog
    assert side.answers == ["TS20261126-AAAAA:because the code was used"]


async def test_cancel_drops_an_owed_answer(side: EchoSide, chat: Chat) -> None:
    await chat.click("x:ask:TS20261126-AAAAA")
    answer = await chat.send("/cancel")
    assert answer.params("side.input_dropped")["case_no"] == "TS20261126-AAAAA"
    await chat.send("late reason")
    assert side.answers == []


async def test_without_a_side_dialog_everything_goes_to_the_buyer_dialog(chat: Chat) -> None:
    answer = await chat.send("/echo")
    assert answer.keys[0] == "error.unknown_command"
