"""How every evaluation leaves its figures: a JSON file for tools, a Markdown file for readers."""

from __future__ import annotations

import json
from pathlib import Path


def write_report(folder: Path, stem: str, data: dict, markdown: str) -> None:
    """``stem``.json and ``stem``.md in ``folder`` (created if need be), then the Markdown on standard output."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (folder / f"{stem}.md").write_text(markdown, encoding="utf-8")
    print(markdown)
