"""Drives the sandbox's web page in headless Chromium, as a person trying the bot would.

Used by the browser test (tests/sandbox/test_web_browser.py) and by `make screenshot`, which
regenerates docs/sandbox.png from the real page with a case in progress:

    python -m tests.sandbox.web_page docs/sandbox.png

Chromium is Debian's (/usr/bin/chromium), driven by Playwright for Python; nothing here downloads
a browser. The flags keep it off the network, which this machine does not have.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import BrowserContext, Locator, Page, async_playwright, expect

from tests.sandbox.test_sandbox_process import free_port, make_run, scrubbed_env, wait_until_served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1600, "height": 1000}
STEP_MS = 20_000  # one bot answer on a loaded 2-core machine
CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
# The demo merchant's newest card-code order (demo/orders.csv) and its buyer's platform account.
ORDER_NO = "KM202611200012"
BUYER_ACCOUNT = "zhangwei_2020"
DESCRIPTION = "卡密显示已被使用，无法兑换京东 E 卡，请退款。"


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    """A headless Chromium with a new empty profile in `profile`."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport=VIEWPORT,
            locale="en-US",
        )
        try:
            yield context
        finally:
            await context.close()


@asynccontextmanager
async def sandbox_page(workdir: Path) -> AsyncIterator[Page]:
    """`make run` without BOT_TOKEN in `workdir`, and its page open in Chromium."""
    port = free_port()
    env = scrubbed_env(workdir, SANDBOX_PORT=str(port))
    async with make_run(workdir, env) as process, chromium(workdir / "profile") as context:
        url = f"http://127.0.0.1:{port}/"
        await wait_until_served(url, process)
        page = context.pages[0] if context.pages else await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url)
        await expect(pane(page, "staff").locator(".pane-title")).to_have_text("Staff group (admin)")
        yield page
        assert errors == [], errors


class PanePage:
    """One chat of the page: type, press, upload, and wait for what the bot says."""

    def __init__(self, page: Page, key: str) -> None:
        self.page = page
        self.root = page.locator(f'.pane[data-pane="{key}"]')

    def locator(self, selector: str) -> Locator:
        return self.root.locator(selector)

    async def send(self, text: str, then: str | None = None) -> None:
        """Types and sends `text`; with `then`, waits until the bot answers with that phrase."""
        await self.root.locator(".text-input").fill(text)
        await self.root.locator(".text-input").press("Enter")
        await self._wait(then)

    async def press(self, button: str, then: str | None = None) -> None:
        """Presses the inline button with this label or callback data, on the latest message."""
        by_data = self.root.locator(f'button[data-callback="{button}"]')
        target = by_data if await by_data.count() else self.root.locator("button", has_text=button)
        await target.last.click()
        await self._wait(then)

    async def upload(self, file: Path, then: str | None = None) -> None:
        await self.root.locator(".file-input").set_input_files(str(file))
        await self._wait(then)

    async def _wait(self, phrase: str | None) -> None:
        if phrase is not None:
            await self.hears(phrase)

    async def hears(self, phrase: str) -> None:
        """Waits until a bot message in this chat contains `phrase`."""
        await expect(self.root.locator(".msg.bot").filter(has_text=phrase).last).to_be_visible(
            timeout=STEP_MS
        )

    async def last_bot_text(self) -> str:
        return await self.root.locator(".msg.bot .text").last.inner_text()


def pane(page: Page, key: str) -> PanePage:
    return PanePage(page, key)


async def file_complaint_with_a_photo(page: Page, photo: Path) -> str:
    """The buyer files a complaint about the demo order with a photo; returns its case number."""
    buyer = pane(page, "buyer")
    await buyer.send(f"/complain {ORDER_NO}", then="平台账号")
    await buyer.send(BUYER_ACCOUNT, then="请选择投诉原因")
    await buyer.press("f:reason:card_invalid", then="请用文字描述")
    await buyer.send(DESCRIPTION, then="上传证据")
    await buyer.upload(photo, then="已收到第 1 个文件")
    await buyer.press("f:done", then="本订单最多可退")
    await buyer.press("f:refund:full", then="退款退到哪里")
    await buyer.press("f:method:original", then="请核对投诉信息")
    await buyer.press("f:submit", then="投诉已提交")
    found = CASE_NO.search(await buyer.last_bot_text())
    assert found, await buyer.last_bot_text()
    return found.group(0)


# What the evidence photo shows: a card-platform order page saying the code was used already.
EVIDENCE_PAGE = """<body style="margin:0;font:16px sans-serif;background:#fff">
<div style="padding:14px;border-bottom:1px solid #ddd;font-weight:bold">订单 KM202611200012</div>
<div style="padding:14px">京东 E卡 200元<br>卡密：JD-7Q4K-9XPM-2R8T<br>
<span style="color:#c00;font-weight:bold">兑换失败：该卡密已被使用</span></div></body>"""


async def a_photo(page: Page, directory: Path) -> Path:
    """A real 320x200 JPEG to upload as evidence, drawn by the browser itself."""
    path = directory / "evidence.jpg"
    drawing = await page.context.new_page()
    try:
        await drawing.set_viewport_size({"width": 320, "height": 200})
        await drawing.set_content(EVIDENCE_PAGE)
        await drawing.screenshot(path=str(path), type="jpeg", quality=80)
    finally:
        await drawing.close()
    return path


async def case_in_progress(page: Page, workdir: Path) -> str:
    """A complaint filed with a photo, taken by staff, its evidence looked at, passed on to the
    merchant."""
    case_no = await file_complaint_with_a_photo(page, await a_photo(page, workdir))
    await take_case(page, case_no)
    staff = pane(page, "staff")
    await staff.press("查看证据")
    await expect(staff.locator(".msg.bot img.photo")).to_be_visible(timeout=STEP_MS)
    await staff.press("转商家处理")
    await pane(page, "merchant").hears(case_no)
    return case_no


async def take_case(page: Page, case_no: str) -> None:
    """The staff admin sees the new case in the staff group and takes it."""
    staff = pane(page, "staff")
    await staff.hears(case_no)
    await staff.press("接单", then="您已接手投诉")


async def screenshot(target: Path) -> None:
    """Regenerates the README's picture of the sandbox from the real page."""
    with tempfile.TemporaryDirectory(prefix="sandbox-shot-") as scratch:
        async with sandbox_page(Path(scratch)) as page:
            await case_in_progress(page, Path(scratch))
            await page.wait_for_timeout(500)  # the last messages scroll into view
            await page.screenshot(path=str(target))


if __name__ == "__main__":
    asyncio.run(screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/sandbox.png")))
