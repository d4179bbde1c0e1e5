"""Routers, one per use case, composed in one place."""

from __future__ import annotations

from aiogram import Router

from bot.routers.buyer import build_buyer_router
from bot.routers.errors import build_error_router


def build_routers() -> list[Router]:
    return [build_error_router(), build_buyer_router()]
