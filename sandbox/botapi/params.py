"""Reading Bot API parameters from a request the way Telegram does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from .records import Upload

# Form values that are text even when they look like JSON ("123", "true").
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "secret_token",
        "ip_address",
        "title",
        "description",
        "short_description",
        "name",
        "query",
        "emoji",
        "action",
        "question",
        "explanation",
        "custom_emoji_id",
        "photo",
        "document",
        "video",
        "animation",
        "audio",
        "voice",
        "video_note",
        "sticker",
        "thumbnail",
        "message_effect_id",
        "business_connection_id",
        "language_code",
    }
)
MAX_BODY = 50 * 1024 * 1024  # bots may upload files up to 50 MB


def decode_form(raw: dict[str, str]) -> dict[str, Any]:
    """Decodes form values the way the Bot API does: JSON where it parses, text otherwise."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _STRING_PARAMS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Reads query, form-urlencoded, multipart or JSON parameters like the Bot API accepts."""
    raw: dict[str, str] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if not request.body_exists:
        return decode_form(raw), uploads
    if request.content_type == "application/json":
        body = await request.json()
        return {**decode_form(raw), **body}, uploads
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await part.read(decode=True)
            if part.filename is not None:
                content_type = part.headers.get(hdrs.CONTENT_TYPE)
                uploads[part.name] = Upload(part.filename, bytes(data), content_type)
            else:
                raw[part.name] = data.decode(part.get_charset(default="utf-8"))
        return decode_form(raw), uploads
    form = await request.post()
    raw.update({key: str(value) for key, value in form.items()})
    return decode_form(raw), uploads


def default_description(status: int, retry_after: int) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    if status == 400:
        return "Bad Request"
    if status == 502:
        return "Bad Gateway"
    if status >= 500:
        return "Internal Server Error"
    return "Error"
