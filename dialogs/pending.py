"""Free-text answers a user owes a side conversation (a rejection reason, an offer amount …).

A staff member who presses "Reject" is asked for the reason; a merchant who presses "Offer a
partial refund" is asked for the amount. What they owe is saved in their session, bound to the
chat where they were asked, so the next message there is taken as the answer — also after a
restart — and a message in another chat is not mistaken for it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from dialogs.draft import EvidenceItem


class PendingInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str  # the side dialog that asked: "staff", "merchant", "buyer"
    action: str  # what the answer is for, e.g. "reject", "offer", "evidence"
    case_no: str
    chat_id: int
    asked_at: datetime
    # When the answer is a set of uploads (a buyer's 补充材料): the files taken so far, kept
    # here until the buyer presses Done so they reach the case together, and the albums
    # already acknowledged (an album arrives as one update per file).
    files: tuple[EvidenceItem, ...] = ()
    album_notes: tuple[str, ...] = ()
