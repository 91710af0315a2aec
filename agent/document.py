"""The SSM Command document that installs the AWS Replication Agent, rendered from one source.

`render_document` builds the document (schema 2.2) from `DOCUMENT_PARAMETERS` and the two scripts
beside this file: every parameter is a `String` with `interpolationType: ENV_VAR` (the node reads
`SSM_<Name>`, the script text never changes) and `allowedPattern` set to the Python allow-list
itself, so the document cannot drift from `mgn_wave.install.parameters`.

`python -m agent.document --write template.yaml` rewrites the `Content:` of the resource
`InstallAgentDocument` between the marker comments; `--check` fails when the template is stale;
without an option the document is printed as YAML.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mgn_wave.install.parameters import (
    DOCUMENT_PARAMETERS,
    EXECUTION_TIMEOUT_SECONDS,
    LINUX_STEP_NAME,
    MIN_SSM_AGENT_VERSION,
    WINDOWS_STEP_NAME,
    DocumentParameter,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

AGENT_DIR = Path(__file__).resolve().parent
LINUX_SCRIPT = AGENT_DIR / "install-linux.sh"
WINDOWS_SCRIPT = AGENT_DIR / "install-windows.ps1"
BEGIN_MARKER = "# BEGIN GENERATED: agent/document.py"
END_MARKER = "# END GENERATED"
DOCUMENT_DESCRIPTION = (
    "mgn-wave: prove the private path from a source server to the MGN and S3 VPC endpoints, then install "
    "the AWS Replication Agent through the S3 interface endpoint (SHA-512 checked). Parameters reach the "
    f"scripts only as SSM_<Name> environment variables (SSM Agent {MIN_SSM_AGENT_VERSION} or later)."
)
MAX_DOCUMENT_BYTES = 64 * 1024  # an SSM document's content may not exceed 64 KB


def _parameter(spec: DocumentParameter) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "type": "String",
        "description": ("(sensitive) " if spec.sensitive else "") + spec.form[:1].upper() + spec.form[1:] + ".",
        "interpolationType": "ENV_VAR",
        "allowedPattern": spec.pattern,
    }
    if spec.default is not None:
        rendered["default"] = spec.default
    return rendered


def render_document(parameters_spec: Sequence[DocumentParameter] = DOCUMENT_PARAMETERS) -> dict[str, Any]:
    """The document content (a mapping, as `AWS::SSM::Document.Content` takes it)."""
    return {
        "schemaVersion": "2.2",
        "description": DOCUMENT_DESCRIPTION,
        "parameters": {spec.name: _parameter(spec) for spec in parameters_spec},
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": LINUX_STEP_NAME,
                "precondition": {"StringEquals": ["platformType", "Linux"]},
                # The whole script as one element: the agent writes it to _script.sh unchanged.
                "inputs": {
                    "runCommand": [LINUX_SCRIPT.read_text(encoding="ascii")],
                    "timeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
                },
            },
            {
                "action": "aws:runPowerShellScript",
                "name": WINDOWS_STEP_NAME,
                "precondition": {"StringEquals": ["platformType", "Windows"]},
                "inputs": {
                    "runCommand": [WINDOWS_SCRIPT.read_text(encoding="ascii")],
                    "timeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
                },
            },
        ],
    }


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so the scripts read as scripts in template.yaml."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def render_content_yaml(document: dict[str, Any]) -> str:
    """`Content:` and the document below it, as YAML at indentation 0."""
    return yaml.dump({"Content": document}, Dumper=_BlockDumper, sort_keys=False, width=1_000_000)


def _marker_lines(lines: list[str], path: Path) -> tuple[int, int]:
    begins = [i for i, line in enumerate(lines) if line.strip().startswith(BEGIN_MARKER)]
    ends = [i for i, line in enumerate(lines) if line.strip() == END_MARKER]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise SystemExit(
            f"{path}: expected one '{BEGIN_MARKER}' line followed by one '{END_MARKER}' line "
            "(around the Content of the InstallAgentDocument resource)"
        )
    return begins[0], ends[0]


def rewrite_template(text: str, document: dict[str, Any], path: Path = Path("template.yaml")) -> str:
    """`text` with the lines between the markers replaced by the rendered `Content:`."""
    lines = text.splitlines(keepends=True)
    begin, end = _marker_lines(lines, path)
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    generated = [
        (indent + line if line.strip() else line) + "\n" for line in render_content_yaml(document).splitlines()
    ]
    return "".join([*lines[: begin + 1], *generated, *lines[end:]])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.document", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="TEMPLATE", type=Path, help="rewrite the generated Content in TEMPLATE")
    group.add_argument("--check", metavar="TEMPLATE", type=Path, help="exit 1 if TEMPLATE's Content is stale")
    arguments = parser.parse_args(argv)
    document = render_document()
    size = len(render_content_yaml(document).encode())
    if size > MAX_DOCUMENT_BYTES:
        print(f"the document is {size} bytes; SSM accepts at most {MAX_DOCUMENT_BYTES}", file=sys.stderr)
        return 1
    if arguments.write is None and arguments.check is None:
        sys.stdout.write(render_content_yaml(document))
        return 0
    path: Path = arguments.write or arguments.check
    current = path.read_text(encoding="utf-8")
    updated = rewrite_template(current, document, path)
    if arguments.check is not None:
        if updated != current:
            print(f"{path}: the InstallAgentDocument Content is stale; run python -m agent.document --write {path}")
            return 1
        return 0
    if updated != current:
        path.write_text(updated, encoding="utf-8")
        print(f"{path}: InstallAgentDocument Content rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
