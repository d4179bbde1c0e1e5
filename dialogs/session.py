"""The saved dialog state of one user: a versioned JSON document in uow.drafts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from dialogs.draft import FilingDraft
from dialogs.pending import PendingInput

STATE_VERSION: Literal[1] = 1


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    v: Literal[1] = STATE_VERSION
    draft: FilingDraft | None = None
    awaiting_case_no: bool = False  # /status was sent without a number
    last_update_id: int | None = None  # the same update delivered twice has one effect
    last_case_no: str | None = None  # the case this chat filed last, for a repeated Submit
    pending: PendingInput | None = None  # a free-text answer owed to a side dialog
    erase_nonce: str | None = None  # the /deletemydata request its confirm button must carry


def parse_session(text: str) -> Session | None:
    """Returns the saved session, or None when the JSON is damaged or of an unknown version."""
    try:
        return Session.model_validate_json(text)
    except ValidationError:
        return None


def dump_session(session: Session) -> str:
    return session.model_dump_json()
