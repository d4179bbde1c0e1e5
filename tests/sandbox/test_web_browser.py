"""The sandbox's web page in a real browser: a whole complaint, from the buyer's photo to refund.

`make run` without BOT_TOKEN runs as a process; headless Chromium opens its page, and everything
happens by typing and clicking there, as a person trying the bot does: the buyer files with a
photo uploaded from disk, the staff admin takes the case and approves the refund in the staff
group, confirms the payout, and the buyer's chat shows each update. A screenshot is saved; then
the clock control and the reset button are tried.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "headless Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; "
        ".ci/run installs it): the sandbox page's browser test cannot run",
        allow_module_level=True,
    )
pytest.importorskip("playwright", reason="Playwright for Python is not installed (pip: playwright)")

from playwright.async_api import Dialog, expect

from tests.sandbox.web_page import (
    STEP_MS,
    a_photo,
    file_complaint_with_a_photo,
    pane,
    sandbox_page,
    take_case,
)

pytestmark = pytest.mark.e2e
# Where the screenshot goes besides the test's own directory (CI keeps it as an artifact).
SCREENSHOT_DIR = os.environ.get("SANDBOX_SCREENSHOT_DIR")


async def accept(dialog: Dialog) -> None:
    await dialog.accept()


async def test_a_complaint_with_a_photo_goes_to_refund_in_the_browser(tmp_path: Path) -> None:
    async with sandbox_page(tmp_path) as page:
        started = time.monotonic()
        buyer, staff = pane(page, "buyer"), pane(page, "staff")
        case_no = await file_complaint_with_a_photo(page, await a_photo(page, tmp_path))
        # The buyer's own photo shows in their chat, loaded from the sandbox.
        photo = buyer.locator(".msg.me img.photo").last
        await expect(photo).to_be_visible()
        assert await photo.evaluate("img => img.naturalWidth") == 320

        await take_case(page, case_no)
        await staff.press("按申请金额批准退款", then="确认已退款")
        await buyer.hears("原路返回到您付款的账户")
        await staff.press("确认已退款")
        await buyer.hears("退款已完成")
        refunded = buyer.locator(".msg.bot").filter(has_text="退款已完成").last
        await expect(refunded).to_contain_text(case_no)
        # The formatting arrives as Telegram's tags, not as escaped markup.
        assert "&lt;b&gt;" not in await page.content()
        elapsed = time.monotonic() - started
        shot = tmp_path / "sandbox-refunded.png"
        await page.screenshot(path=str(shot))

        # The clock control moves the sandbox's time and shows how far ahead it runs.
        await page.get_by_role("button", name="+8 hours").click()
        await expect(page.locator("#clock-ahead")).to_contain_text("8h")
        # Reset (after its confirmation) empties every chat and the bot answers afresh.
        page.once("dialog", accept)
        await page.locator("#reset").click()
        await expect(page.locator(".msg")).to_have_count(0, timeout=STEP_MS)
        await expect(page.locator("#clock-ahead")).to_have_text("")
        await buyer.send("/start", then="投诉与退款助手")
    assert shot.stat().st_size > 10_000
    if SCREENSHOT_DIR:
        shutil.copy(shot, Path(SCREENSHOT_DIR) / shot.name)
    print(f"browser: complaint to refund in {elapsed:.1f} s; screenshot {shot}")  # noqa: T201
