"""Writes a dossier's ZIP files (cases/dossier.py says what goes in): summary.pdf, the evidence
files, events.json, state.json and README.txt, in as many parts as Telegram's size limit needs.

Each ZIP is written under a temporary name and renamed when complete, so a crash never leaves
a half file where the outbox would upload it. Evidence files are stored as they are (photos
and videos do not compress); the texts are deflated.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bot.dossier_pdf import SummaryPdf
from bot.evidence import evidence_path
from cases import dossier
from cases.audit import is_seal
from cases.dossier import Contents, Entry
from cases.model import EvidenceStatus
from dialogs.staff_card import KNOWN_ACTIONS
from locales import Translator

# Where the complainant writes by hand what the platform does not collect.
BLANK: Final = "_" * 28


@dataclass(frozen=True)
class Made:
    parts: list[Path]  # in order; part 1 holds the summary
    left: int  # evidence files not included (removed, not stored, too large)
    has_legal: bool


def make_dossier(
    contents: Contents,
    translator: Translator,
    locale: str,
    fonts: Sequence[Path],
    evidence_dir: Path,
    target: Path,
    *,
    part_bytes: int = dossier.PART_MAX_BYTES,
    reserve: int = dossier.FIRST_PART_RESERVE,
) -> Made:
    """Writes the ZIPs as `target` (one part) or `target`-1ofN … (several); returns them."""
    case = contents.case
    sizes = {
        item.id: path.stat().st_size
        for item in contents.evidence
        if item.status is EvidenceStatus.STORED
        and item.sha256
        and (path := evidence_path(evidence_dir, item.sha256)).is_file()
    }
    entries = dossier.plan(contents.evidence, sizes, part_bytes, reserve)
    count = dossier.part_count(entries)
    paths = [target] if count == 1 else [
        target.with_name(f"{target.stem}-{n}of{count}{target.suffix}") for n in range(1, count + 1)
    ]
    render = lambda key, params: translator.render_plain(locale, key, params)  # noqa: E731
    texts = {
        dossier.SUMMARY_FILE: _summary(contents, entries, count, render, fonts),
        dossier.EVENTS_FILE: _json({"case_no": case.case_no,
                                    "events": dossier.event_records(contents.events,
                                                                    contents.audience)}),
        dossier.STATE_FILE: _json(dossier.state_record(case, contents.evidence, contents.events)),
        dossier.README_FILE: render("dossier.zip.readme", {
            "case_no": case.case_no, "made_at": contents.made_at, "head": _head(contents),
        }).encode("utf-8") + b"\n",
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(paths, start=1):
        partial = path.with_name(f".part-{path.name}")
        with zipfile.ZipFile(partial, "w") as archive:
            if number == 1:
                for name, data in texts.items():
                    archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            for entry in entries:
                if entry.part == number and entry.item.sha256:
                    archive.write(
                        evidence_path(evidence_dir, entry.item.sha256),
                        f"{dossier.EVIDENCE_DIR}/{entry.archive_name}",
                        compress_type=zipfile.ZIP_STORED,
                    )
        os.replace(partial, path)
    left = sum(1 for entry in entries if entry.left is not None)
    return Made(paths, left, contents.legal is not None)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def _head(contents: Contents) -> str:
    return contents.events[-1].hash if contents.events else ""


def _summary(
    contents: Contents, entries: Sequence[Entry], parts: int, render: Any, fonts: Sequence[Path]
) -> bytes:
    case, order, merchant, legal = contents.case, contents.order, contents.merchant, contents.legal
    buyer = {
        "blank": BLANK,
        "buyer_account": order.buyer_account if order is not None else "",
        "buyer_id": case.buyer_id,
    }
    sections: list[tuple[str, dict[str, Any]]] = [
        ("complainant", buyer),
        ("respondent", {
            "blank": BLANK,
            "has_legal": legal is not None,
            "legal_name": legal.legal_name if legal else "",
            "address": legal.address if legal else "",
            "credit_code": legal.credit_code if legal else "",
            "shop": merchant.name if merchant is not None else case.merchant_code,
            "merchant_code": case.merchant_code,
        }),
        ("order", {
            "order_no": case.order_no,
            "product": order.product if order is not None else "",
            "order_amount": order.amount if order is not None else case.order_amount,
            "currency": case.currency,
            "paid_at": order.paid_at if order is not None else None,
            "delivered_at": order.delivered_at if order is not None else None,
        }),
        ("demand", {
            "requested": case.refund_amount,
            "refund_method": case.refund_method.value,
            "status": case.status.value,
            "approved": case.approved_amount,
            "currency": case.currency,
        }),
        ("facts", {
            "reason": case.reason.value,
            "created_at": case.created_at,
            "description": case.description,
            "removed": case.personal_data_removed_at is not None,
        }),
        ("proof", {"entries": [_entry(entry) for entry in entries], "parts": parts}),
        ("timeline", {"events": _timeline(contents), "currency": case.currency}),
        ("verify", {
            "count": len(contents.events),
            "head": _head(contents),
            "withheld": sum(dossier.withheld(e, contents.audience) for e in contents.events),
        }),
    ]
    title = render("dossier.pdf.title", {
        "case_no": case.case_no,
        "made_at": contents.made_at,
        "audience": contents.audience.value,
        "parts": parts,
    })
    pdf = SummaryPdf(fonts, title.partition("\n")[0])
    pdf.title(title)
    pdf.sections(render(f"dossier.pdf.{key}", params) for key, params in sections)
    return pdf.output()


def _entry(entry: Entry) -> dict[str, Any]:
    item = entry.item
    return {
        "position": entry.position,
        "kind": item.file.kind.value,
        "name": item.file.file_name or "",
        "received_at": item.received_at,
        "sha256": item.sha256 or "",
        "part": entry.part,
        "file": entry.archive_name,
        "left": entry.left.value if entry.left is not None else "",
    }


def _timeline(contents: Contents) -> list[dict[str, Any]]:
    """The steps of the case, oldest first; seals only record what the rows became."""
    rows = []
    for event in contents.events:
        if is_seal(event):
            continue
        hidden = dossier.withheld(event, contents.audience)
        rows.append({
            "seq": event.seq,
            "at": event.at,
            # Staff appear as the platform's role, never as a person.
            "actor": event.actor_kind.value,
            "action": event.action if event.action in KNOWN_ACTIONS else "other",
            "withheld": hidden,
            "moved": event.from_status is not event.to_status,
            "to_status": event.to_status.value,
            "amount": event.amount,
            "note": "" if hidden else event.note,
        })
    return rows


