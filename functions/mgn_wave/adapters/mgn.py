"""Every MGN call the Lambdas make. Owns pagination, chunking to the service's limits, checking
inputs the client does not check (docs/mgn-facts.md §1.2), and turning `ClientError` into our typed errors
by error code (the state machine's Retry/Catch match those class names)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mgn_wave.adapters.errors import MGN_ERRORS, aws_call
from mgn_wave.errors import (
    InvalidInputError,
    MgnNotInitializedError,
)
from mgn_wave.ids import SOURCE_SERVER_ID, TEMPLATE_ID
from mgn_wave.models.mgn import (
    MAX_IDS_PER_FILTER,
    MAX_RESULTS,
    REQUIRED_TEMPLATE_FIELDS,
    ReplicationSettings,
    ServerReplicationChanges,
    TemplateSettings,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from botocore.exceptions import ClientError
    from mypy_boto3_mgn import MgnClient
    from mypy_boto3_mgn.type_defs import (
        DescribeReplicationConfigurationTemplatesRequestTypeDef,
        DescribeSourceServersRequestTypeDef,
        ReplicationConfigurationTemplateTypeDef,
        SourceServerTypeDef,
    )

# Roles to create before InitializeService (docs/mgn-facts.md §1.8, UG "Initializing ... with the API")
_MGN_ROLES = (
    "AWSApplicationMigrationReplicationServerRole",
    "AWSApplicationMigrationConversionServerRole",
    "AWSApplicationMigrationMGHRole",
    "AWSApplicationMigrationLaunchInstanceWithDrsRole",
    "AWSApplicationMigrationLaunchInstanceWithSsmRole",
    "AWSApplicationMigrationAgentRole",
)


class MgnAdapter:
    """MGN for the domain code: data in, data out, typed errors.

    Takes an injected client (see `adapters.clients`), so nothing talks to AWS at import time."""

    def __init__(self, client: MgnClient) -> None:
        self._client = client

    def describe_source_servers(self, source_server_ids: Sequence[str] | None = None) -> list[SourceServerTypeDef]:
        """All source servers, or only the named ones (unknown IDs are simply absent).

        IDs are checked, de-duplicated and sent ≤200 per call; every call pages with
        maxResults=1000 until nextToken runs out."""
        if source_server_ids is None:
            return self._describe_source_servers(None)
        ids = _checked_ids("source_server_ids", source_server_ids, SOURCE_SERVER_ID)
        servers: list[SourceServerTypeDef] = []
        # No IDs, no call: an empty filter list may well read as "no filter", i.e. every server
        for start in range(0, len(ids), MAX_IDS_PER_FILTER):
            servers.extend(self._describe_source_servers(ids[start : start + MAX_IDS_PER_FILTER]))
        return servers

    def describe_waiting_servers(self, source_server_ids: Sequence[str]) -> list[SourceServerTypeDef]:
        """The named servers in as few calls as MGN allows. A filter names at most 200 IDs, an
        unfiltered page holds up to 1,000 servers: for more than 200 IDs the unfiltered pages
        come first (one call for a whole 1,000-server account), but never more of them than the
        filtered calls would have cost; IDs still missing then are described by filter."""
        ids = _checked_ids("source_server_ids", source_server_ids, SOURCE_SERVER_ID)
        if len(ids) <= MAX_IDS_PER_FILTER:
            return self.describe_source_servers(ids)
        wanted = set(ids)
        found: dict[str, SourceServerTypeDef] = {}
        budget = -(-len(ids) // MAX_IDS_PER_FILTER)
        request: DescribeSourceServersRequestTypeDef = {"maxResults": MAX_RESULTS}
        for _ in range(budget):
            with self._translated("DescribeSourceServers"):
                page = self._client.describe_source_servers(**request)
            found.update((s["sourceServerID"], s) for s in page["items"] if s.get("sourceServerID") in wanted)
            if not page.get("nextToken") or len(found) == len(wanted):
                return list(found.values())
            request["nextToken"] = page["nextToken"]
        missing = [server_id for server_id in ids if server_id not in found]
        return [*found.values(), *self.describe_source_servers(missing)]

    def list_replication_templates(self) -> list[ReplicationConfigurationTemplateTypeDef]:
        """Every replication configuration template in the account and Region."""
        templates: list[ReplicationConfigurationTemplateTypeDef] = []
        request: DescribeReplicationConfigurationTemplatesRequestTypeDef = {"maxResults": MAX_RESULTS}
        while True:
            with self._translated("DescribeReplicationConfigurationTemplates"):
                page = self._client.describe_replication_configuration_templates(**request)
            templates.extend(page["items"])
            if not page.get("nextToken"):
                return templates
            request["nextToken"] = page["nextToken"]

    def create_replication_template(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Creates a template from MGN-named settings; all 11 required fields must be given."""
        missing = sorted(REQUIRED_TEMPLATE_FIELDS - settings.keys())
        if missing:
            raise InvalidInputError(
                f"settings.{missing[0]}",
                f"required by CreateReplicationConfigurationTemplate (missing: {', '.join(missing)})",
            )
        request = _checked(TemplateSettings, "settings", settings)
        with self._translated("CreateReplicationConfigurationTemplate"):
            created = self._client.create_replication_configuration_template(**request)
        return _without_metadata(created)

    def update_replication_template(self, template_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Changes a template. MGN applies it only to servers registered afterwards (docs/mgn-facts.md §1.4)."""
        _check_id("template_id", template_id, TEMPLATE_ID)
        request = _checked(ReplicationSettings, "changes", changes)
        with self._translated("UpdateReplicationConfigurationTemplate"):
            updated = self._client.update_replication_configuration_template(
                replicationConfigurationTemplateID=template_id, **request
            )
        return _without_metadata(updated)

    def get_replication_configuration(self, source_server_id: str) -> dict[str, Any]:
        """One server's replication settings (its own copy, not the template)."""
        _check_id("source_server_id", source_server_id, SOURCE_SERVER_ID)
        with self._translated("GetReplicationConfiguration"):
            configuration = self._client.get_replication_configuration(sourceServerID=source_server_id)
        return _without_metadata(configuration)

    def update_replication_configuration(self, source_server_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Changes one server's replication settings; returns the resulting configuration."""
        _check_id("source_server_id", source_server_id, SOURCE_SERVER_ID)
        request = _checked(ServerReplicationChanges, "changes", changes)
        with self._translated("UpdateReplicationConfiguration"):
            updated = self._client.update_replication_configuration(sourceServerID=source_server_id, **request)
        return _without_metadata(updated)

    def _describe_source_servers(self, ids: list[str] | None) -> list[SourceServerTypeDef]:
        servers: list[SourceServerTypeDef] = []
        request: DescribeSourceServersRequestTypeDef = {"maxResults": MAX_RESULTS}
        if ids is not None:
            request["filters"] = {"sourceServerIDs": ids}
        while True:
            with self._translated("DescribeSourceServers"):
                page = self._client.describe_source_servers(**request)
            servers.extend(page["items"])
            if not page.get("nextToken"):
                return servers
            request["nextToken"] = page["nextToken"]

    @contextmanager
    def _translated(self, operation: str) -> Iterator[None]:
        """One MGN call, its errors translated by MGN's code table; MGN not initialised in the
        Region becomes the how-to for this Region."""
        region = self._client.meta.region_name

        def not_initialized(exc: ClientError) -> Exception:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            return MgnNotInitializedError(_not_initialized_message(operation, region, message))

        with aws_call(
            f"mgn:{operation}",
            {"UninitializedAccountException": not_initialized},
            codes=MGN_ERRORS,
            denied_fix=f"the role needs mgn:{operation}",
        ):
            yield


def _not_initialized_message(operation: str, region: str, message: str) -> str:
    return (
        f"AWS Application Migration Service (MGN) is not initialized in {region} ({operation}: {message}). "
        f"Initialize it once per account and Region: in the console, open Application Migration Service "
        f"in {region} and choose 'Set up service'; or, with the API, create the IAM roles "
        f"{', '.join(_MGN_ROLES)}, call InitializeService (aws mgn initialize-service --region {region}), "
        f"then create the replication and launch configuration templates."
    )


def _checked_ids(field: str, ids: Sequence[str], pattern: str) -> list[str]:
    # A bare string is a Sequence[str] too; iterating it would send one "ID" per character
    if isinstance(ids, str):
        raise InvalidInputError(field, "must be a list of IDs, not a single string")
    for index, value in enumerate(ids):
        _check_id(f"{field}[{index}]", value, pattern)
    return list(dict.fromkeys(ids))


def _check_id(field: str, value: object, pattern: str) -> None:
    if not isinstance(value, str) or re.fullmatch(pattern, value) is None:
        raise InvalidInputError(field, f"must match {pattern}, got {value!r}")


def _checked(model: type[ReplicationSettings], field: str, values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        parsed = model.model_validate(dict(values))
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise InvalidInputError(f"{field}.{location}", f"{first['msg']}{more}") from exc
    return parsed.to_request()


def _without_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
