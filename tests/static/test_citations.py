"""Code, comments, tests and docs cite only what ships in this repository.

A citation of a document a reader cannot open (a design sketch, a notes file, a folder beside the
clone) is a dead end for the next engineer. AWS facts live in `docs/mgn-facts.md` (numbered) and
`docs/aws-facts.md` (titled sections), the contracts in `docs/contracts.md`; a citation of a section
(`docs/mgn-facts.md §1.9`) must name one that exists.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from mgn_wave_emu.stack import REPO_ROOT

THIS_FILE = Path(__file__).resolve()
TEXT_SUFFIXES = {".py", ".sh", ".ps1", ".yaml", ".yml", ".json", ".md", ".toml", ".txt", ".cfg", ".ini"}
TEXT_NAMES = {"Makefile", "curl", "df", "getent", "id", "mgn-wave-tcp-probe", "fake-aws-replication-installer-init"}
GENERATED = {"package-lock.json"}
# Documents that never shipped, and paths that leave the clone. Split so this file does not match.
OUTSIDE = [
    re.compile(r"\b" + "FACTS" + r"\b"),
    re.compile(r"\b" + "DESIGN" + r"\b"),
    re.compile(r"\b" + "seeds" + r"/"),
    re.compile(r"\.\./" + "shared"),
    re.compile(r"/work" + r"/"),
]
# A path-traversal payload is the point of the injection corpus, not a citation.
ALLOWED_TRAVERSAL = {"tests/corpus.py"}
TRAVERSAL = re.compile(r"(?<![\w./])\.\./[A-Za-z]")
_SECTION = r"(\d+(?:\.\d+)?)"
# `docs/mgn-facts.md §1.9`, `… §1.2-§1.4, §1.9`, and `… section 3.2` in ASCII-only scripts
SECTION_CITATION = re.compile(
    r"(docs/[\w.-]+\.md),? (?:§|section )" + _SECTION + r"(?:\s*-\s*§" + _SECTION + r")?((?:,\s*§\d+(?:\.\d+)?)*)"
)
DOC_PATH = re.compile(r"\bdocs/[\w.-]+\.md\b")
MARKDOWN_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s#]+)")


def shipped_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = []
    for name in listed:
        path = REPO_ROOT / name
        if name in GENERATED or not path.is_file() or path.resolve() == THIS_FILE:
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            files.append(path)
    return files


SHIPPED = shipped_files()


def _sections(doc: Path) -> set[str]:
    """The section numbers a docs page defines: `## 2. Title` → "2", `### 1.9 Title` → "1.9"."""
    found = set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#{2,4} (\d+(?:\.\d+)?)\.? ", line)
        if heading:
            found.add(heading.group(1))
    return found


def test_citations_scan_covers_the_code_the_scripts_and_the_docs() -> None:
    names = {p.relative_to(REPO_ROOT).as_posix() for p in SHIPPED}
    assert {"template.yaml", "README.md", "agent/install-linux.sh", "docs/mgn-facts.md"} <= names
    assert any(n.startswith("functions/mgn_wave/") for n in names)
    assert any(n.startswith("emulator/mgn_wave_emu/") for n in names)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_citations_name_no_document_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    name = path.relative_to(REPO_ROOT).as_posix()
    bad = [
        f"{name}:{n}: {line.strip()}"
        for n, line in enumerate(text.splitlines(), 1)
        if any(p.search(line) for p in OUTSIDE) or (name not in ALLOWED_TRAVERSAL and TRAVERSAL.search(line))
    ]
    assert not bad, "cite docs/mgn-facts.md, docs/aws-facts.md or docs/contracts.md instead:\n" + "\n".join(bad)


def test_citations_of_docs_name_pages_and_sections_that_exist() -> None:
    missing = []
    for path in SHIPPED:
        name = path.relative_to(REPO_ROOT).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for doc in set(DOC_PATH.findall(text)):
            if not (REPO_ROOT / doc).is_file():
                missing.append(f"{name}: {doc} does not exist")
        for match in SECTION_CITATION.finditer(text):
            doc = REPO_ROOT / match.group(1)
            if not doc.is_file():
                continue
            cited = [match.group(2), match.group(3), *re.findall(r"§(\d+(?:\.\d+)?)", match.group(4))]
            defined = _sections(doc)
            missing += [f"{name}: {match.group(1)} has no §{s}" for s in cited if s and s not in defined]
    assert not missing, "\n".join(sorted(missing))


def test_citations_markdown_links_stay_inside_the_repository() -> None:
    broken = []
    for path in SHIPPED:
        if path.suffix != ".md":
            continue
        for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(REPO_ROOT.resolve()) or not resolved.exists():
                broken.append(f"{path.relative_to(REPO_ROOT)}: ({target})")
    assert not broken, "\n".join(broken)


def test_citations_checker_catches_an_outside_document() -> None:
    # Given lines that cite what does not ship (built here so this file stays clean)
    lines = [
        "# see " + "FACTS" + " §1.9",
        "x = 1  # " + "DESIGN" + ".md §4",
        "from the runbook in ../" + "shared/",
        "# (" + "seeds" + "/000)",
    ]
    # Then every one is caught
    assert all(any(p.search(line) for p in OUTSIDE) for line in lines)
    # And a citation of what ships is not
    assert not any(p.search("# (docs/mgn-facts.md §1.9)") for p in OUTSIDE)
