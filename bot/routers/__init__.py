"""Routers, one per use case, composed in one place."""

from __future__ import annotations

from aiogram import Router

from bot.routers.buyer import build_buyer_router
from bot.routers.errors import build_error_router
from bot.routers.groups import build_group_router
from bot.routers.staff import build_staff_router


def build_routers(staff_chat_id: int | None = None) -> list[Router]:
    # The staff group first: its updates never reach the other groups' or private-chat routers.
    return [
        build_error_router(),
        build_staff_router(staff_chat_id),
        build_group_router(),
        build_buyer_router(),
    ]
