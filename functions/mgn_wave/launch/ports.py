"""The optional port check of a launched instance: which TCP ports, from the source server's tag.

`mgn-wave:check-ports=22,443` on the MGN source server asks the check to open a TCP connection from
the target subnet (the PortProbe function, in the target subnet with the target security groups)
to each port on the launched instance's private address. Only the allow-listed form is accepted:
1 to `MAX_CHECK_PORTS` whole numbers 1-65535, comma-separated, no spaces, no repeats. Anything else
is a typed finding naming the tag and the form, and the server is neither launched nor passed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mgn_wave.core.errors import InvalidInputError
from mgn_wave.preflight.findings import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Mapping

CHECK_PORTS_TAG = "mgn-wave:check-ports"
MAX_CHECK_PORTS = 10
ALLOWED_FORM = f"1 to {MAX_CHECK_PORTS} TCP ports 1-65535, comma-separated without spaces or repeats (e.g. 22,443)"
_FORM = re.compile(rf"^[0-9]{{1,5}}(,[0-9]{{1,5}}){{0,{MAX_CHECK_PORTS - 1}}}$")
FINDING_CODE = "CHECK_PORTS_TAG_INVALID"


def check_ports_of(tags: Mapping[str, str] | None) -> tuple[int, ...]:
    """The ports the tag names (none without the tag), or InvalidInputError naming the tag."""
    raw = (tags or {}).get(CHECK_PORTS_TAG)
    if raw is None:
        return ()
    field = f"tags.{CHECK_PORTS_TAG}"
    if not isinstance(raw, str) or not _FORM.fullmatch(raw):
        raise InvalidInputError(field, ALLOWED_FORM)
    ports = tuple(int(part) for part in raw.split(","))
    if any(not 1 <= port <= 65535 for port in ports) or len(set(ports)) != len(ports):
        raise InvalidInputError(field, ALLOWED_FORM)
    return ports


def invalid_tag_finding(source_server_id: str, problem: str) -> Finding:
    """The plan's finding for a server whose tag is not in the allowed form (`problem`: the
    InvalidInputError's text, which names the tag and the form but never echoes the value: a tag
    is free text and the finding reaches the report)."""
    return Finding(
        code=FINDING_CODE,
        severity=Severity.WARNING,
        resource=source_server_id,
        message=f"{problem}; the server is not launched in this stage",
        fix=f"Set the tag {CHECK_PORTS_TAG} on the source server in the allowed form, or remove it.",
    )
