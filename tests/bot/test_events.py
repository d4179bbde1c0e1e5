from __future__ import annotations

import pytest

from bot.events import addressed_to_another_bot

pytestmark = pytest.mark.backend_independent


def test_a_command_for_another_bot_is_not_ours() -> None:
    assert addressed_to_another_bot("/queue@other_bot", "complaint_test_bot")
    assert not addressed_to_another_bot("/queue@Complaint_Test_Bot", "complaint_test_bot")
    assert not addressed_to_another_bot("/queue", "complaint_test_bot")
    assert not addressed_to_another_bot("hello @other_bot", "complaint_test_bot")
