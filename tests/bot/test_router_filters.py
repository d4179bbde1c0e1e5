"""Router filters are coroutines: aiogram runs any other callable in a worker thread."""

from __future__ import annotations

from aiogram import Router

from bot.routers import build_routers


def _routers(router: Router) -> list[Router]:
    return [router, *(inner for sub in router.sub_routers for inner in _routers(sub))]


def test_every_router_filter_is_awaited_in_place() -> None:
    checked = 0
    for top in build_routers(staff_chat_id=-1001234567890):
        for router in _routers(top):
            for observer in router.observers.values():
                for chat_filter in observer._handler.filters or []:
                    assert chat_filter.awaitable, (router.name, chat_filter.callback)
                    checked += 1
                for handler in observer.handlers:
                    for handler_filter in handler.filters or []:
                        assert handler_filter.awaitable, (router.name, handler_filter.callback)
                        checked += 1
    assert checked >= 6  # staff: message, button; groups: message, membership; buyer: three
