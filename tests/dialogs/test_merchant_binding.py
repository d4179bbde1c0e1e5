"""A merchant binds a Telegram account with a one-time link; /merchant says what it answers for."""

from __future__ import annotations

import hashlib

import pytest

from cases.model import Merchant
from dialogs.merchant import token_hash
from tests.dialogs.case_support import BUYER, MERCHANT, STRANGER, CaseWorld

NEW_MERCHANT = 4004
TOKEN = "Q3v9-xY_2kLmN0pR7sT1uV4wZ8aB5cD6"


@pytest.fixture
def world() -> CaseWorld:
    world = CaseWorld.make()
    world.store.merchants["M09"] = Merchant("M09", "新开卡铺")
    world.store.merchant_tokens[token_hash(TOKEN)] = "M09"
    return world


def test_only_the_sha256_of_a_token_is_what_the_store_is_asked_for() -> None:
    assert token_hash(TOKEN) == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert TOKEN not in token_hash(TOKEN)


async def test_opening_the_link_binds_the_account_to_its_merchant(world: CaseWorld) -> None:
    answer = await world.chat(NEW_MERCHANT).send(f"/start m_{TOKEN}")
    assert answer.keys == ["merchant.bound"]  # not the buyer's /start menu
    assert answer.params("merchant.bound") == {"name": "新开卡铺", "code": "M09"}
    assert world.store.merchants["M09"].telegram_user_id == NEW_MERCHANT


async def test_a_link_works_once(world: CaseWorld) -> None:
    await world.chat(NEW_MERCHANT).send(f"/start m_{TOKEN}")
    answer = await world.chat(STRANGER).send(f"/start m_{TOKEN}")
    assert answer.keys == ["merchant.link_invalid"]
    assert world.store.merchants["M09"].telegram_user_id == NEW_MERCHANT


@pytest.mark.parametrize("token", ["not-a-token-we-issued", "", "含中文的链接", "x" * 80])
async def test_an_unknown_or_malformed_link_binds_nothing(world: CaseWorld, token: str) -> None:
    answer = await world.chat(STRANGER).send(f"/start m_{token}")
    assert answer.keys == ["merchant.link_invalid"]
    assert all(m.telegram_user_id != STRANGER for m in world.store.merchants.values())


async def test_an_account_bound_to_another_merchant_is_refused_and_the_link_stays_usable(
    world: CaseWorld,
) -> None:
    answer = await world.chat(MERCHANT).send(f"/start m_{TOKEN}")
    assert answer.keys == ["merchant.already_bound"]
    assert answer.params("merchant.already_bound") == {"name": "星辰卡铺", "code": "M01"}
    assert world.store.merchants["M09"].telegram_user_id is None
    again = await world.chat(NEW_MERCHANT).send(f"/start m_{TOKEN}")
    assert again.keys == ["merchant.bound"]


async def test_a_buyer_deep_link_still_starts_a_complaint(world: CaseWorld) -> None:
    answer = await world.chat(BUYER).send("/start complain_A1001")
    assert not any(key.startswith("merchant.") for key in answer.keys)


async def test_merchant_command_tells_what_the_account_answers_for(world: CaseWorld) -> None:
    answer = await world.chat(MERCHANT).send("/merchant")
    params = answer.params("merchant.info")
    assert (params["name"], params["code"], params["days"]) == ("星辰卡铺", "M01", 2)
    assert "/status" in answer.text("zh_CN")


async def test_merchant_command_tells_an_unbound_account_how_to_bind(world: CaseWorld) -> None:
    answer = await world.chat(STRANGER).send("/merchant")
    assert answer.keys == ["merchant.not_bound"]
