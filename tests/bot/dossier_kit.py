"""A filed, worked case with evidence on disk, and the dossier made of it, for the dossier tests."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.dossier_files import Made, make_dossier
from bot.dossier_pdf import find_fonts
from bot.evidence import evidence_path
from cases.audit import new_audit_salt, sealed
from cases.dossier import Audience, Contents
from cases.model import (
    ActorKind,
    Case,
    CaseEvent,
    CaseStatus,
    EvidenceKind,
    EvidenceStatus,
    Merchant,
    MerchantLegal,
)
from cases.ports import StoredEvidence
from locales import Translator
from tests.storage.factories import SHANGHAI, T0, case, evidence_file, order

# A name from CJK Extension B and an emoji: no CJK font of Debian's covers both.
RARE = "𠮷"
EMOJI = "😀"
BUYER_TEXT = f"卡密提示已被使用，客服张伟不回复 {RARE}{EMOJI}"
LEGAL = MerchantLegal("星辰网络科技有限公司", "深圳市南山区科技园 1 号", "91440300708461136T")
INTERNAL_NOTE = "买家可能在薅羊毛，先别退"
AGENT = 9_000_000_001


def stored(
    root: Path, evidence_id: int, data: bytes, **changes: Any
) -> tuple[StoredEvidence, bytes]:
    digest = hashlib.sha256(data).hexdigest()
    path = evidence_path(root, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    item = StoredEvidence(
        id=evidence_id,
        case_no="TS20261120-7K3Q9",
        file=evidence_file(f"U{evidence_id}", **changes),
        received_at=T0 + timedelta(hours=1),
        sha256=digest,
        stored_path=str(path),
        status=EvidenceStatus.STORED,
    )
    return item, data


def worked_case(root: Path) -> tuple[Case, list[StoredEvidence], list[CaseEvent]]:
    """Filed with three files (one later removed), taken, noted internally, then approved."""
    the_case = case(description=BUYER_TEXT, audit_salt=new_audit_salt(), merchant_code="M1001")
    photo, _ = stored(root, 1, b"\xff\xd8\xff" + b"photo" * 100)
    pdf, _ = stored(
        root, 2, b"%PDF-1.4 receipt", kind=EvidenceKind.DOCUMENT,
        mime_type="application/pdf", file_name="付款记录.pdf",
    )
    removed = StoredEvidence(
        id=3, case_no=the_case.case_no, file=evidence_file("U3"), received_at=T0,
        status=EvidenceStatus.REMOVED,
    )
    evidence = [photo, pdf, removed]
    steps = [
        (ActorKind.BUYER, the_case.buyer_id, "submit", None, CaseStatus.SUBMITTED, "", None),
        (ActorKind.AGENT, AGENT, "take", CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, "", None),
        (ActorKind.AGENT, AGENT, "note", CaseStatus.IN_REVIEW, CaseStatus.IN_REVIEW,
         INTERNAL_NOTE, None),
        (ActorKind.AGENT, AGENT, "approve_refund", CaseStatus.IN_REVIEW,
         CaseStatus.REFUND_PENDING, "卡密确已使用", 6000),
    ]
    events: list[CaseEvent] = []
    for minute, (kind, actor, action, before, after, note, amount) in enumerate(steps):
        approved = amount or the_case.approved_amount
        the_case = replace(the_case, status=after, approved_amount=approved)
        event = CaseEvent(
            case_no=the_case.case_no, seq=0, at=T0 + timedelta(hours=2, minutes=minute),
            actor_kind=kind, actor_id=actor, action=action, from_status=before,
            to_status=after, note=note, amount=amount,
        )
        events.append(sealed(events[-1] if events else None, event, the_case, evidence))
    return the_case, evidence, events


def build(
    tmp: Path,
    audience: Audience,
    *,
    legal: MerchantLegal | None = LEGAL,
    locale: str = "zh_CN",
    **limits: int,
) -> Made:
    evidence_dir = tmp / "evidence"
    the_case, evidence, events = worked_case(evidence_dir)
    contents = Contents(
        case=the_case,
        order=order(),
        merchant=Merchant("M1001", "星辰卡铺"),
        legal=legal,
        evidence=evidence,
        events=events,
        audience=audience,
        made_at=T0 + timedelta(days=1),
    )
    return make_dossier(
        contents, Translator(SHANGHAI), locale, find_fonts(None), evidence_dir,
        tmp / "out" / f"dossier-{the_case.case_no}.zip",
        **limits,
    )


def unpack(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(into)
    return into


def run_documented_check(folder: Path) -> tuple[int, str]:
    """Runs the Python check README.txt gives, in `folder`: (exit code, output)."""
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    script = readme[readme.index("import hashlib") :]
    out = io.StringIO()
    code = 0
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with redirect_stdout(out):
            exec(compile(script, "README.txt", "exec"), {})  # noqa: S102 - the documented check
    except SystemExit as exited:
        code = int(exited.code or 0)
    finally:
        os.chdir(cwd)
    return code, out.getvalue()


def events_json(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "events.json").read_text(encoding="utf-8"))
