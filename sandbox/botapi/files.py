"""Files known to the fake server: uploaded by users (evidence) or by the bot."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import itertools
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Bot API limit for getFile downloads (20 MB); uploads by bots may be up to 50 MB.
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024

_KIND_DIRS = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "video": ("videos", ".mp4"),
    "sticker": ("stickers", ".webp"),
    "animation": ("animations", ".mp4"),
    "audio": ("music", ".mp3"),
    "voice": ("voice", ".oga"),
}


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    origin: str = "user"
    """"user" for files a FakeUser sent, "bot" for files the bot uploaded."""

    @property
    def file_size(self) -> int:
        return len(self.content)

    def as_file(self) -> dict[str, Any]:
        """Returns the Bot API File object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }

    def as_document(self) -> dict[str, Any]:
        """Returns the common part of Document / Video / Sticker objects."""
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data


def unique_id_for(content: bytes, variant: str = "") -> str:
    """Returns a file_unique_id that only depends on the bytes, as Telegram's does."""
    digest = hashlib.sha256(content).digest()[:12]
    return "AQAD" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + variant


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self,
        content: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        variant: str = "",
        origin: str = "user",
    ) -> StoredFile:
        """Stores bytes under a fresh file_id (a new upload gets a new file_id every time)."""
        number = next(self._counter)
        unique = unique_id_for(content, variant)
        directory, default_ext = _KIND_DIRS.get(kind, ("documents", ""))
        ext = default_ext
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif mime_type and not ext:
            ext = mimetypes.guess_extension(mime_type) or ""
        stored = StoredFile(
            file_id=f"BQACAgUAAxkBAAI{number:06d}{unique[4:]}",
            file_unique_id=unique,
            file_path=f"{directory}/file_{number}{ext}",
            content=content,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            origin=origin,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def __iter__(self) -> Iterator[StoredFile]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)

    def uploaded_by_bot(self) -> list[StoredFile]:
        return [f for f in self._by_id.values() if f.origin == "bot"]

    def to_json(self) -> list[dict[str, Any]]:
        """Every file with its bytes in base64, oldest first, for keeping on disk."""
        return [
            {**dataclasses.asdict(f), "content": base64.b64encode(f.content).decode()}
            for f in self._by_id.values()
        ]

    @classmethod
    def from_json(cls, items: list[dict[str, Any]]) -> FileStore:
        """The store `to_json` described; new files are numbered after the restored ones."""
        store = cls()
        for item in items:
            stored = StoredFile(**{**item, "content": base64.b64decode(item["content"])})
            store._by_id[stored.file_id] = stored
            store._by_path[stored.file_path] = stored
        store._counter = itertools.count(len(items) + 1)
        return store


# Telegram keeps several sizes of every photo; bots usually take the last (largest) one.
PHOTO_SIZES = (("s", 90, 68), ("m", 320, 240), ("x", 800, 600))


def photo_sizes(files: FileStore, content: bytes, *, origin: str) -> list[dict[str, Any]]:
    """Stores a new photo and returns its PhotoSize list, smallest first."""
    sizes = []
    for variant, width, height in PHOTO_SIZES:
        stored = files.add(content, "photo", variant=variant, origin=origin)
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size,
                "width": width,
                "height": height,
            }
        )
    return sizes
