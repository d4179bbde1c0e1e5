"""Callback data on inline buttons: short, namespaced, and at most 64 bytes (Telegram's limit).

`f:` filing steps, `m:` the /start menu, `lang:` the language picker, `s:` show one case,
`pd:` the /deletemydata confirmation;
`b:` a buyer's, `mc:` a merchant's and `st:` staff actions on a filed case (each + case number).
"""

from __future__ import annotations

from typing import Final

from dialogs.types import Button

MAX_CALLBACK_BYTES: Final = 64

# Filing (interpreted against the current filing step; anything else is a stale button).
REASON: Final = "f:reason:"  # + Reason value
BACK: Final = "f:back"
CANCEL: Final = "f:cancel"
KEEP: Final = "f:keep"  # keep the value already entered for this step
DONE: Final = "f:done"  # no more evidence files
CLEAR_EVIDENCE: Final = "f:ev:clear"
TICK: Final = "f:tick:"  # + ChecklistItem value: the buyer ticks (or unticks) a checklist item
REFUND: Final = "f:refund:"  # + RefundKind value
METHOD: Final = "f:method:"  # + RefundMethod value
EDIT: Final = "f:edit:"  # + EditField value
SUBMIT: Final = "f:submit"
RESUME: Final = "f:resume"  # continue the saved draft
RESTART: Final = "f:restart"  # drop the saved draft and start again

# The /start menu.
MENU: Final = "m:"
MENU_COMPLAIN: Final = "m:complain"
MENU_MYCASES: Final = "m:mycases"
MENU_LANGUAGE: Final = "m:language"
MENU_HELP: Final = "m:help"
MENU_HOME: Final = "m:home"

LANGUAGE: Final = "lang:"  # + locale id
CASE: Final = "s:"  # + case number

# /deletemydata: confirm (+ the nonce of the request it answers) or keep everything.
ERASE: Final = "pd:"
ERASE_CONFIRM: Final = "pd:yes:"
ERASE_KEEP: Final = "pd:no"

# Actions on a filed case, put on pushed notices; each prefix is followed by the case number.
# A buyer's case actions.
BUYER_EVIDENCE: Final = "b:ev:"  # supply more evidence (补充材料)
BUYER_ACCEPT: Final = "b:acc:"  # accept the merchant's offer
BUYER_DECLINE: Final = "b:dec:"  # decline the merchant's offer
BUYER_ESCALATE: Final = "b:esc:"  # escalate to platform arbitration (平台仲裁)
BUYER_WITHDRAW: Final = "b:wd:"  # withdraw: asks to confirm with BUYER_WITHDRAW_YES
BUYER_WITHDRAW_YES: Final = "b:wdy:"
BUYER_FILE: Final = "b:file:"  # send the case file (案卷)
BUYER_DOSSIER: Final = "b:dos:"  # build and send the dossier ZIP (证据包)
BUYER_EVIDENCE_DONE: Final = "b:evd:"  # the files are all there: send them (supply_evidence)
BUYER_EVIDENCE_CANCEL: Final = "b:evx:"  # stop supplying evidence; nothing is sent
BUYER_RATE: Final = "b:rate:"  # + case number + ":" + score 1-5 (satisfaction, once per case)
BUYER_RATING_SKIP: Final = "b:rsk:"  # no comment on the rating
# A merchant's answers to a complaint.
MERCHANT_ACCEPT: Final = "mc:acc:"  # refund the amount the buyer asked for
MERCHANT_OFFER: Final = "mc:off:"  # offer a partial refund (asks for the amount)
MERCHANT_REJECT: Final = "mc:rej:"  # reject with an explanation (asks for it)
MERCHANT_EVIDENCE: Final = "mc:ev:"  # see the buyer's evidence files
MERCHANT_CONTEST: Final = "mc:con:"  # contest an instant refund (asks for the explanation)
# Staff actions, in the staff chat or in private.
STAFF_TAKE: Final = "st:take:"  # take the case (assign it to oneself)
STAFF_EVIDENCE: Final = "st:ev:"  # view the evidence files
STAFF_REQUEST: Final = "st:req:"  # ask the buyer for more evidence
STAFF_MERCHANT: Final = "st:mer:"  # send the case to the merchant
STAFF_APPROVE_FULL: Final = "st:appf:"
STAFF_APPROVE_PARTIAL: Final = "st:appp:"
STAFF_REJECT: Final = "st:rej:"
STAFF_RULE_BUYER: Final = "st:rb:"  # arbitration ruling for the buyer
STAFF_RULE_MERCHANT: Final = "st:rm:"  # arbitration ruling for the merchant
STAFF_PAID: Final = "st:paid:"  # confirm a manually paid refund
STAFF_NOTE: Final = "st:note:"  # add an internal note
STAFF_CARD: Final = "st:card:"  # show the case card with its timeline
STAFF_CONFIRM: Final = "st:cfm:"  # confirm a colleague's four-eyes proposal
STAFF_DISMISS: Final = "st:dsm:"  # dismiss the open four-eyes proposal
STAFF_ASSESS: Final = "st:asx:"  # send the case to a third-party assessment (asks what for)
STAFF_ASSESSED: Final = "st:asr:"  # record the assessment's result (asks for it)
STAFF_DOSSIER: Final = "st:dos:"  # build and send the dossier ZIP, every step in full
STAFF_CONTEST_HOLDS: Final = "st:cth:"  # a contested instant refund: the merchant's contest holds
STAFF_CONTEST_FAILS: Final = "st:ctf:"  # a contested instant refund: the refund stands


def button(label: str, data: str, **params: object) -> Button:
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return Button(label=label, data=data, params=params)


def suffix(data: str, prefix: str) -> str | None:
    """Returns what follows `prefix` in `data`, or None when `data` is not that button."""
    if prefix.endswith(":"):
        return data[len(prefix) :] if data.startswith(prefix) else None
    return "" if data == prefix else None


def main_menu() -> tuple[tuple[Button, ...], ...]:
    """The /start menu: file a complaint, my cases, language, help."""
    return (
        (button("btn.complain", MENU_COMPLAIN), button("btn.mycases", MENU_MYCASES)),
        (button("btn.language", MENU_LANGUAGE), button("btn.help", MENU_HELP)),
    )
