"""What a bot process loads before its first poll.

Every bot process imports the runner and one Bot API runtime at start-up; whatever those pull in
costs start-up time and resident memory in each of them (issue 14: RSS and start-up within
20 MB and 1 s of a bare aiogram bot). The heavy libraries serve single jobs: fpdf2 (with numpy)
the dossier PDF, matplotlib the stats chart, imagehash (numpy, scipy) the fingerprints,
RapidOCR (onnxruntime) the screen reader, XlsxWriter the spreadsheet export. They must load
only when such a job runs, and a process on one runtime must never load the other runtime's
library.

One interpreter start (a fresh one: this suite's own process has imported everything) covers
both runtimes: after the runner is imported the process forks, the child builds the
python-telegram-bot port and the parent the aiogram one, and each reports what it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Top-level packages that only a job needs; "PIL.ImageFilter" and "PIL.Image" stand for
# Pillow's image core, which only the fingerprint, OCR and chart jobs use.
JOB_ONLY = (
    "matplotlib",
    "fpdf",
    "fontTools",
    "numpy",
    "scipy",
    "imagehash",
    "onnxruntime",
    "rapidocr_onnxruntime",
    "cv2",
    "xlsxwriter",
    "PIL.Image",
    "PIL.ImageFilter",
    # The evidence download job's file check, and webhook mode's HTTP server.
    "filetype",
    "aiohttp.web",
)

_PROBE = """
import json, os, sys
import bot.cli, bot.runner
from bot.transport.runtimes import build_port

def loaded():
    return sorted(sys.modules)

read, write = os.pipe()
child = os.fork()
if child == 0:
    os.close(read)
    build_port("ptb", "123:abc", "http://127.0.0.1:9")
    os.write(write, json.dumps(loaded()).encode())
    os._exit(0)
os.close(write)
build_port("aiogram", "123:abc", "http://127.0.0.1:9")
chunks = []
while chunk := os.read(read, 1 << 16):
    chunks.append(chunk)
os.waitpid(child, 0)
print(json.dumps({"aiogram": loaded(), "ptb": json.loads(b"".join(chunks))}))
"""


def _loaded_at_startup() -> dict[str, set[str]]:
    result = subprocess.run(  # noqa: S603 - fixed argv, our own probe
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    return {runtime: set(names) for runtime, names in json.loads(result.stdout).items()}


def test_a_starting_bot_loads_no_job_only_library_and_only_its_own_runtime() -> None:
    loaded = _loaded_at_startup()

    for runtime, modules in loaded.items():
        assert [name for name in JOB_ONLY if name in modules] == [], runtime
    assert "aiogram" in loaded["aiogram"]
    assert "telegram" not in loaded["aiogram"]
    assert "telegram" in loaded["ptb"]
    assert "aiogram" not in loaded["ptb"]
