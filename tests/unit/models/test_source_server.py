"""MGN's source-server record, read forgivingly in one place."""

from __future__ import annotations

from typing import Any

import pytest

from mgn_wave.agent_install import actively_replicating, known_to_mgn
from mgn_wave.models.source_server import SourceServerRecord


def _server(server_id: str, **parts: Any) -> dict[str, Any]:
    return {"sourceServerID": server_id, **parts}


def test_source_server_record_knows_a_server_by_its_user_provided_id_then_its_aws_hint() -> None:
    # Given a server installed with a managed-node ID on an EC2 source
    record = SourceServerRecord(
        _server(
            "s-00000000000000001",
            userProvidedID="mi-0123456789abcdef0",
            sourceProperties={"identificationHints": {"awsInstanceID": "i-0123456789abcdef0", "hostname": "app-1"}},
            tags={"MigrationWave": "wave-01"},
        )
    )
    # Then both identities, the hostname and the tags read through the record
    assert record.instance_ids == ("mi-0123456789abcdef0", "i-0123456789abcdef0")
    assert record.hostname == "app-1"
    assert record.tags == {"MigrationWave": "wave-01"}
    assert record.name == "Source server s-00000000000000001 (app-1)"


@pytest.mark.parametrize(
    "junk",
    [{}, {"sourceProperties": None}, {"sourceProperties": {"identificationHints": "x"}}, {"tags": ["a"]}],
)
def test_source_server_record_reads_a_malformed_record_as_empty(junk: dict[str, Any]) -> None:
    record = SourceServerRecord(junk)
    assert (record.instance_ids, record.hostname, dict(record.tags), record.archived) == ((), None, {}, False)


def test_source_server_record_is_what_the_install_step_counts_and_matches() -> None:
    # Given one replicating, one archived, one disconnected and one cut-over server
    servers = [
        _server("s-1", userProvidedID="i-0000000a", dataReplicationInfo={"dataReplicationState": "INITIAL_SYNC"}),
        _server("s-2", userProvidedID="i-0000000b", isArchived=True),
        _server("s-3", dataReplicationInfo={"dataReplicationState": "DISCONNECTED"}),
        _server("s-4", lifeCycle={"state": "CUTOVER"}),
    ]
    # Then one counts against the quota, and the archived one is not known for reinstalling
    assert actively_replicating(servers) == 1
    assert set(known_to_mgn(servers)) == {"i-0000000a"}
