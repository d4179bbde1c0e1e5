"""The /start menu, /help and /language."""

from __future__ import annotations

from dialogs import callbacks as cb
from dialogs.context import Turn
from dialogs.draft import FilingDraft
from dialogs.filing_prompts import limits, resume_buttons
from dialogs.language import EN, SUPPORTED_LOCALES, ZH_CN


def show_menu(turn: Turn) -> None:
    turn.say("menu.main", cb.main_menu())


def show_help(turn: Turn) -> None:
    policy = turn.policy
    params = {
        "review_days": policy.review_working_days,
        "evidence_days": policy.evidence_days,
        "merchant_days": policy.merchant_working_days,
        "silence": policy.merchant_timeout.value,
        "buyer_days": policy.escalation_days,
        "arbitration_days": policy.arbitration_working_days,
        "description_min": policy.description_min,
        "description_max": policy.description_max,
        **limits(policy),
    }
    turn.say_params("menu.help", params)


def ask_language(turn: Turn) -> None:
    choices = (
        cb.button("btn.lang_zh", cb.LANGUAGE + ZH_CN),
        cb.button("btn.lang_en", cb.LANGUAGE + EN),
    )
    turn.say("menu.language", (choices,))


async def set_language(turn: Turn, locale: str) -> bool:
    """Saves the buyer's language; False for a locale the texts do not exist in."""
    if locale not in SUPPORTED_LOCALES:
        return False
    await turn.uow.users.set_locale(turn.user.user_id, locale)
    turn.locale = locale
    turn.say("menu.language_set", locale=locale)
    return True


def offer_resume(turn: Turn, draft: FilingDraft) -> None:
    """Offers to continue the unfinished complaint or to start over."""
    turn.say(
        "menu.resume_offer",
        resume_buttons(),
        order_no=draft.order_no,
        step=draft.step.value,
        started_at=draft.started_at,
    )
