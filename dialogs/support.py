"""The platform's support contact, as the operator sets it (SUPPORT_CONTACT), for the texts.

Wherever the bot sends a buyer to support it quotes this contact; without one it says what the
buyer can do in the bot instead, since sending a case number to the bot only shows its status.
Three forms are accepted: a Telegram username (@name), an https URL, or a phone number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# Telegram usernames: 5–32 letters, digits or underscores, starting with a letter.
_USERNAME: Final = re.compile(r"@([A-Za-z][A-Za-z0-9_]{4,31})")
_URL: Final = re.compile(r"https://[^\s<>\"']+\.[^\s<>\"']+")
# A phone as people write it: digits with an optional +, spaces, dashes or brackets (400 lines too).
_PHONE: Final = re.compile(r"\+?[0-9][0-9 ()\-]{4,22}[0-9]")


class ContactKind(StrEnum):
    TELEGRAM = "telegram"
    URL = "url"
    PHONE = "phone"


@dataclass(frozen=True)
class SupportContact:
    kind: ContactKind
    value: str  # the username without @, the URL, or the phone as written

    def params(self) -> dict[str, str]:
        """The text parameter: `support` in every text that sends a buyer to support."""
        return {"kind": self.kind.value, "value": self.value}


def parse_support_contact(raw: str) -> SupportContact:
    """Reads SUPPORT_CONTACT; raises ValueError for anything but @username, https URL, phone."""
    text = raw.strip()
    if (match := _USERNAME.fullmatch(text)) is not None:
        return SupportContact(ContactKind.TELEGRAM, match.group(1))
    if _URL.fullmatch(text) is not None:
        return SupportContact(ContactKind.URL, text)
    if _PHONE.fullmatch(text) is not None and sum(c.isdigit() for c in text) >= 5:
        return SupportContact(ContactKind.PHONE, text)
    raise ValueError("expected a Telegram @username, an https:// URL or a phone number")


def support_params(contact: SupportContact | None) -> dict[str, str] | None:
    return None if contact is None else contact.params()
