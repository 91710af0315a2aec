"""Comments and docs cite only what ships: the project's own `docs/`, never a document outside
the repository, and every `docs/mgn-facts.md §N` or `docs/contracts.md §N` names a section there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\bFACTS(\.md)?\b|\bDESIGN(\.md)? §|\bDESIGN\.md\b|shared/seeds|\bseeds/0")
CITATION = re.compile(r"docs/(mgn-facts|contracts)\.md §?(\d+(?:\.\d+)?)")


def _tracked_text() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files"], cwd=REPO, check=True, capture_output=True, text=True).stdout.split()
    texts = {}
    for name in names:
        if name.startswith("tests/static/test_citations.py"):
            continue
        try:
            texts[name] = (REPO / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
    return texts


def _sections(doc: str) -> set[str]:
    text = (REPO / "docs" / f"{doc}.md").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^#{2,3} (\d+(?:\.\d+)?)[. ]", text, flags=re.MULTILINE)}


def test_no_shipped_file_cites_a_document_outside_the_repository() -> None:
    hits = [
        f"{name}:{number}: {line.strip()}"
        for name, text in _tracked_text().items()
        for number, line in enumerate(text.splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert hits == []


def test_every_docs_citation_names_an_existing_section() -> None:
    sections = {doc: _sections(doc) for doc in ("mgn-facts", "contracts")}
    missing = [
        f"{name}: docs/{m.group(1)}.md §{m.group(2)}"
        for name, text in _tracked_text().items()
        for m in CITATION.finditer(text)
        if m.group(2) not in sections[m.group(1)]
    ]
    assert missing == []
