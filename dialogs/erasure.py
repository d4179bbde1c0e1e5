"""/deletemydata: the buyer asks, confirms with a button, and their personal data is removed.

| event         | condition                                  | effect                        |
|---------------|--------------------------------------------|-------------------------------|
| /deletemydata | the user holds a staff role or is bound to | refused: says which and how   |
|               | a merchant                                 | to give it up; nothing asked  |
| /deletemydata | otherwise                                  | what goes, what stays;        |
|               |                                            | buttons confirm / keep        |
| pd:yes:NONCE  | a staff role or merchant binding now       | refused as above, nothing     |
|               |                                            | removed                       |
| pd:yes:NONCE  | NONCE is this chat's latest request, asked | removes (cases/erasure.py);   |
|               | within CONFIRM_WINDOW                      | the session is not saved      |
| pd:yes:NONCE  | otherwise (pressed twice, an old or forged | "no longer valid", nothing    |
|               | button, another user's press)              | removed                       |
| pd:no         | —                                          | nothing removed               |

The confirm button carries a nonce stored in the presser's own session, so only a press in
answer to the presser's latest request removes anything, and it only ever removes the
presser's data. After removal the session is gone: a second press finds no request.

A staff member or a merchant's bound account is refused rather than stripped of the role.
Both are the operator's to grant and to take back, and both have work hanging on them: an
admin deleting their own data could leave the platform with no one who can add staff, and a
merchant's binding dropped on the quiet would leave complaints about their orders with no one
to answer them, and no one told. So the user is told what they hold and who can end it (an
admin's `/staff remove`, the operator's `complaint-bot staff remove` or `merchants unbind`);
once it is ended, /deletemydata works as for any buyer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from cases.erasure import cases_of, erase_personal_data
from cases.model import is_open
from dialogs import callbacks as cb
from dialogs.case_lookup import WINDOW as LOOKUP_WINDOW
from dialogs.context import Turn
from dialogs.draft_reminders import reminder_key_prefix
from dialogs.session import Session

CONFIRM_WINDOW: Final = timedelta(minutes=15)


async def ask(turn: Turn, session: Session) -> None:
    """Says what will be removed and which open cases stay, and asks to confirm."""
    if await _refused_for_duties(turn):
        session.erase_nonce = None
        return
    cases = await cases_of(turn.uow, turn.user.user_id)
    nonce = str(int(turn.now.timestamp()))
    session.erase_nonce = nonce
    buttons = (
        (
            cb.button("privacy.btn.confirm", cb.ERASE_CONFIRM + nonce),
            cb.button("privacy.btn.keep", cb.ERASE_KEEP),
        ),
    )
    turn.say(
        "privacy.erase_confirm",
        buttons,
        draft=session.draft is not None,
        open_cases=[case.case_no for case in cases if is_open(case.status)],
        final_cases=sum(
            1
            for case in cases
            if not is_open(case.status) and case.personal_data_removed_at is None
        ),
    )


async def keep(turn: Turn, session: Session, _arg: str = "") -> None:
    """Drops the request (pd:no): nothing is removed."""
    session.erase_nonce = None
    turn.say("privacy.erase_kept")


async def confirm(turn: Turn, session: Session, nonce: str) -> None:
    """Removes the presser's data if the press (pd:yes:NONCE) answers their latest request."""
    if not _current(session, nonce, turn.now):
        turn.say("privacy.erase_stale")
        return
    # A role granted, or a merchant bound, between the question and the press.
    if await _refused_for_duties(turn):
        session.erase_nonce = None
        return
    await _erase(turn, draft=session.draft is not None)


async def _erase(turn: Turn, *, draft: bool) -> None:
    user_id = turn.user.user_id
    # Failed checks that may still hold a lock are kept until it ends, so that removing one's
    # data cannot be used to get fresh guesses at other people's orders or case numbers: an
    # order's failures are kept whole while any of them is younger than a lock lasts, so
    # forgetting them takes as long as waiting out the lock would.
    keep_since = turn.now - max(turn.policy.ownership_lock, LOOKUP_WINDOW)
    result = await erase_personal_data(turn.uow, turn.now, user_id, keep_since)
    await turn.uow.jobs.cancel(reminder_key_prefix(user_id), turn.now)
    turn.forget_session = True
    turn.say(
        "privacy.erased",
        cb.main_menu(),
        draft=draft,
        anonymised=list(result.anonymised),
        kept=list(result.kept),
        evidence_removed=result.evidence_removed,
        attempts_kept=result.attempts_kept > 0,
    )


async def _refused_for_duties(turn: Turn) -> bool:
    """Refuses, saying why, while the user holds a staff role or a merchant binding."""
    user_id = turn.user.user_id
    role = await turn.uow.staff.role_of(user_id)
    merchant = await turn.uow.merchants.by_user(user_id)
    if role is None and merchant is None:
        return False
    turn.say(
        "privacy.erase_refused",
        role=role,
        user_id=user_id,
        merchant_code=None if merchant is None else merchant.code,
        merchant_name=None if merchant is None else merchant.name,
    )
    return True


def _current(session: Session, nonce: str, now: datetime) -> bool:
    """True when `nonce` answers the session's latest request and that is recent enough."""
    if session.erase_nonce is None or session.erase_nonce != nonce:
        return False
    asked = datetime.fromtimestamp(int(nonce), tz=UTC)
    return now - asked <= CONFIRM_WINDOW
