"""A buyer's satisfaction rating of a finished case: a score button, then an optional comment.

The question is queued when the case finishes (dialogs/notices.py). A press is checked anew each
time: the presser must be the case's buyer (dialogs/case_actions.py), the case must be finished in
a rated status and asked about, and the rating is stored only if none is (one statement, so two
presses at once store one). Callback data proves nothing; it only names the case and the score.

| input (state)             | answer                                                     |
|---------------------------|------------------------------------------------------------|
| b:rate:N:S (idle)         | score stored → thanks, asks for a comment (commenting)     |
| b:rate:N:S (rated)        | already rated, nothing changes                             |
| text (commenting)         | comment stored (≤ COMMENT_MAX) → thanks, quoting it (idle) |
| file, sticker (commenting)| asks for text or Skip (commenting)                         |
| b:rsk:N, /cancel          | no comment (idle)                                          |
| other command or button   | handled as usual; the comment is no longer expected (idle) |

```mermaid
stateDiagram-v2
    [*] --> idle
    idle --> commenting: b:rate (stored)
    commenting --> idle: text / b:rsk / /cancel / any command or button
    commenting --> commenting: file, sticker, too long
```
"""

from __future__ import annotations

from typing import Final

from cases.model import FINAL_STATUSES, Case
from cases.ratings import COMMENT_MAX, RATED_STATUSES
from dialogs import callbacks as cb
from dialogs.case_evidence import KIND
from dialogs.context import ButtonRows, Turn
from dialogs.pending import PendingInput
from dialogs.types import ButtonIn, CommandIn, Event, TextIn

COMMENT: Final = "rating_comment"


def rating_buttons(case_no: str) -> ButtonRows:
    """One row of five score buttons."""
    return (
        tuple(
            cb.button("rating.btn.score", f"{cb.BUYER_RATE}{case_no}:{score}", score=score)
            for score in range(1, 6)
        ),
    )


def _skip_buttons(case_no: str) -> ButtonRows:
    return ((cb.button("rating.btn.skip", cb.BUYER_RATING_SKIP + case_no),),)


async def rate(turn: Turn, case: Case, score: int) -> None:
    """Stores the score once, then asks for a comment."""
    n = case.case_no
    if case.status not in RATED_STATUSES:
        # Withdrawn is final too, but the buyer is never asked about it.
        key = "rating.not_asked" if case.status in FINAL_STATUSES else "rating.not_finished"
        turn.say(key, case_no=n, status=case.status.value)
        return
    ratings = turn.uow.ratings
    rating = await ratings.get(n)
    if rating is None:
        turn.say("rating.not_asked", case_no=n)
        return
    if rating.score is not None or not await ratings.rate(n, score, turn.now):
        turn.say("rating.already", case_no=n, score=rating.score)
        return
    if turn.pending is not None and turn.pending.action != COMMENT:
        # An evidence upload is under way: its files must not be dropped for a comment.
        turn.say("rating.thanks", case_no=n, score=score)
        return
    turn.pending = PendingInput(
        kind=KIND, action=COMMENT, case_no=n, chat_id=turn.user.chat, asked_at=turn.now
    )
    turn.say("rating.ask_comment", _skip_buttons(n), case_no=n, score=score, max=COMMENT_MAX)


async def skip(turn: Turn, case: Case) -> None:
    """No comment: the rating stands as it is."""
    if turn.pending is not None and turn.pending.action == COMMENT:
        turn.pending = None
    turn.say("rating.skipped", case_no=case.case_no)


async def answer(turn: Turn, pending: PendingInput, event: Event) -> bool:
    """Takes the comment; any command or button ends the wait and is answered as usual."""
    if isinstance(event, CommandIn | ButtonIn):
        turn.pending = None
        return False
    n = pending.case_no
    if not isinstance(event, TextIn) or not event.text.strip():
        turn.say("rating.comment_text_only", _skip_buttons(n), case_no=n)
        return True
    text = event.text.strip()
    if len(text) > COMMENT_MAX:
        turn.say("rating.comment_too_long", _skip_buttons(n), max=COMMENT_MAX, length=len(text))
        return True
    turn.pending = None
    if await turn.uow.ratings.comment(n, text):
        turn.say("rating.thanks_comment", case_no=n, comment=text)
    else:
        turn.say("rating.comment_already", case_no=n)
    return True
