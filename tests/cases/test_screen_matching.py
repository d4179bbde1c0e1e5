"""What a read screenshot means for the case: order number, card code, amount, failure texts,
matched the way screens and OCR write them."""

from __future__ import annotations

import pytest

from cases.policy import Policy
from cases.screen_reading import Matches, ScreenFacts, excerpt, has_amount, match

FACTS = ScreenFacts(order_no="KM2026O0I1", amount=3000, card_code="X7Q2-O0P9-ZZ31")
TEXTS = Policy().screen_failure_texts


def test_a_screen_with_every_fact_and_a_failure_text_matches_them_all() -> None:
    text = "订单号：KM2026O0I1\n卡密：X7Q2-O0P9-ZZ31\n实付金额：¥30.00\n兑换结果：该卡密已被使用"
    assert match(text, FACTS, TEXTS) == Matches(True, True, True, ("已被使用",))


def test_full_width_forms_spaces_and_o_zero_confusions_still_match_the_codes() -> None:
    text = "订单号：ＫＭ２０２６００１１\n卡密：X7Q2 0OP9 ZZ3l"
    found = match(text, FACTS, TEXTS)
    assert found.order_no
    assert found.card_code


def test_a_code_one_character_off_does_not_match() -> None:
    found = match("订单号：KM2026O0I7 卡密：X7Q2-O0P9-ZZ38", FACTS, TEXTS)
    assert not found.order_no
    assert not found.card_code


def test_without_a_card_code_in_the_order_data_the_code_is_never_matched() -> None:
    facts = ScreenFacts(order_no="KM2026O0I1", amount=3000)
    assert not match("卡密：X7Q2-O0P9-ZZ31", facts, TEXTS).card_code


@pytest.mark.parametrize(
    "written", ["¥30.00", "￥30", "30元", "30.00", "30.0元", "RMB 30", "实付30.00元"]
)
def test_the_paid_amount_is_found_in_the_forms_receipts_use(written: str) -> None:
    assert has_amount(f"实付金额：{written}", 3000)


@pytest.mark.parametrize("written", ["30", "¥300.00", "¥3.00", "130.00", "30.50元", "订单2026030"])
def test_other_amounts_and_bare_numbers_are_not_the_paid_amount(written: str) -> None:
    assert not has_amount(f"金额 {written}", 3000)


def test_failure_texts_are_found_whatever_their_case_and_spacing() -> None:
    found = match("Status: This code was ALREADY  USED", FACTS, TEXTS)
    assert found.failure_texts == ("already used",)


def test_a_success_screen_shows_no_failure_text() -> None:
    assert match("充值成功，卡密未使用 交易完成", FACTS, TEXTS).failure_texts == ()


def test_the_failure_texts_come_from_the_policy() -> None:
    assert match("提示：余额不足", FACTS, ("余额不足",)).failure_texts == ("余额不足",)
    assert match("提示：余额不足", FACTS, TEXTS).failure_texts == ()


def test_an_excerpt_is_one_line_cut_to_its_limit() -> None:
    assert excerpt("订单详情\n订单号： KM1", 100) == "订单详情 订单号： KM1"
    assert excerpt("a" * 50, 10) == "a" * 9 + "…"


def test_matches_survive_their_json_form() -> None:
    found = Matches(True, False, True, ("无效", "invalid"))
    assert Matches.from_json(found.to_json()) == found
    assert Matches.from_json(None) == Matches()
