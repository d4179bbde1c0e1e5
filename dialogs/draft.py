"""The filing draft: everything the buyer has entered so far, saved as JSON after every step."""

from __future__ import annotations

from enum import Enum, StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from cases.model import EvidenceFile, EvidenceKind, Reason, RefundKind, RefundMethod

# Album ids remembered to acknowledge each album once; a bounded list keeps the JSON small.
MAX_ALBUM_NOTES = 20


class Step(StrEnum):
    ORDER_NO = "order_no"
    OWNERSHIP = "ownership"
    REASON = "reason"
    DESCRIPTION = "description"
    EVIDENCE = "evidence"
    REFUND_KIND = "refund_kind"
    REFUND_AMOUNT = "refund_amount"
    REFUND_METHOD = "refund_method"
    SUMMARY = "summary"


class Flow(Enum):
    """What a step handler returns besides the next Step."""

    STAY = "stay"  # the handler has said what is needed (e.g. a refusal that asks again)
    END = "end"  # the filing is over: filed, cancelled or left


Next = Step | Flow


class EditField(StrEnum):
    """What the summary's Edit buttons change, and the step that asks for it again."""

    ORDER = "order"
    REASON = "reason"
    DESCRIPTION = "description"
    EVIDENCE = "evidence"
    REFUND = "refund"
    METHOD = "method"

    @property
    def step(self) -> Step:
        return _EDIT_STEPS[self]


_EDIT_STEPS = {
    EditField.ORDER: Step.ORDER_NO,
    EditField.REASON: Step.REASON,
    EditField.DESCRIPTION: Step.DESCRIPTION,
    EditField.EVIDENCE: Step.EVIDENCE,
    EditField.REFUND: Step.REFUND_KIND,
    EditField.METHOD: Step.REFUND_METHOD,
}


class EvidenceItem(BaseModel):
    """One accepted evidence file, as Telegram described it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    mime_type: str | None = None
    size: int | None = None
    file_name: str | None = None

    @classmethod
    def of(cls, file: EvidenceFile) -> EvidenceItem:
        return cls(
            kind=file.kind,
            file_id=file.file_id,
            file_unique_id=file.file_unique_id,
            mime_type=file.mime_type,
            size=file.size,
            file_name=file.file_name,
        )

    def to_file(self) -> EvidenceFile:
        return EvidenceFile(
            kind=self.kind,
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            mime_type=self.mime_type,
            size=self.size,
            file_name=self.file_name,
        )


class FilingDraft(BaseModel):
    """A complaint being filed. Fields stay None until the buyer has answered them."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    step: Step = Step.ORDER_NO
    # True while re-entering a field from the summary: the step then returns to the summary.
    editing: bool = False
    started_at: AwareDatetime
    order_no: str | None = None
    verified: bool = False  # the buyer named the order's platform account
    reason: Reason | None = None
    description: str | None = None
    evidence: list[EvidenceItem] = Field(default_factory=list)
    album_notes: list[str] = Field(default_factory=list)
    # Checklist items (cases/checklist.py) the buyer says the evidence shows, as item ids.
    ticked: list[str] = Field(default_factory=list)
    refund_kind: RefundKind | None = None
    partial_amount: int | None = None  # fen; only for a partial refund
    refund_method: RefundMethod | None = None

    def files(self) -> list[EvidenceFile]:
        return [item.to_file() for item in self.evidence]

    def first_note(self, note: str) -> bool:
        """Remembers `note`; True the first time, so an album is acknowledged once."""
        if note in self.album_notes:
            return False
        self.album_notes = [*self.album_notes, note][-MAX_ALBUM_NOTES:]
        return True
