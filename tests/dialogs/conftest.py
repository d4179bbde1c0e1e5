"""Fixtures for the buyer dialog tests: a store with one order, a manual clock, a chat."""

from __future__ import annotations

import pytest

from cases.clock import ManualClock
from cases.model import Order
from dialogs.context import DialogEnv
from tests.fakes.chat import NOW, Chat, make_env, make_order
from tests.fakes.uow import FakeStore


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def env(clock: ManualClock) -> DialogEnv:
    return make_env(clock)


@pytest.fixture
def order() -> Order:
    return make_order()


@pytest.fixture
def store(order: Order) -> FakeStore:
    store = FakeStore()
    store.orders[order.order_no] = order
    return store


@pytest.fixture
def chat(store: FakeStore, env: DialogEnv) -> Chat:
    return Chat(store, env)
