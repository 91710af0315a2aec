"""The wall clock the domain reads. One function, so the emulated Lambda runtime can put the
virtual clock behind it (a 24-hour sync then takes seconds, and deadlines still mean something)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
