"""The preflight end to end on moto: shipped scenarios, and one misconfiguration per finding code.

Each misconfiguration is applied to the clean seed network through boto3, the way an operator
would break it, and must produce exactly its own code among the BLOCKER/WARNING findings.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from moto.ec2.models import ec2_backends

from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.core.errors import AwsResourceNotFoundError, InvalidInputError
from mgn_wave.preflight.checks.codes import FINDING_CODES
from mgn_wave.preflight.checks.common import mgn_s3_buckets
from mgn_wave.preflight.findings import Severity
from mgn_wave_emu.scenario import shipped_scenarios

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_ec2 import EC2Client

    from mgn_wave.preflight.findings import Finding
    from mgn_wave.preflight.network import PrivatePathTarget
    from mgn_wave_emu.scenario import BuiltScenario

SOURCE = "10.10.0.0/16"


def _problem_codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings if f.severity is not Severity.INFO}


# --- one misconfiguration per code ---------------------------------------------------------------


def _delete_mgn_endpoint(ec2: EC2Client, built: BuiltScenario) -> None:
    ec2.delete_vpc_endpoints(VpcEndpointIds=[built.endpoint_ids["mgn-interface"]])


def _mgn_endpoint_pending_acceptance(ec2: EC2Client, built: BuiltScenario) -> None:
    # moto 5.2.5 creates every endpoint `available` and has no API to change that (on AWS a
    # service that needs acceptance leaves it `pendingAcceptance`): set its backend's state.
    endpoint_id = built.endpoint_ids["mgn-interface"]
    owner = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]["OwnerId"]
    ec2_backends[owner][built.region].vpc_end_points[endpoint_id].state = "pendingAcceptance"


def _ec2_endpoint_private_dns_off(ec2: EC2Client, built: BuiltScenario) -> None:
    # moto 5.2.5 ignores ModifyVpcEndpoint's PrivateDnsEnabled, so recreate the endpoint without
    # private DNS, as an operator who clicked past the checkbox would have.
    old = ec2.describe_vpc_endpoints(VpcEndpointIds=[built.endpoint_ids["ec2-interface"]])["VpcEndpoints"][0]
    ec2.delete_vpc_endpoints(VpcEndpointIds=[old["VpcEndpointId"]])
    ec2.create_vpc_endpoint(
        VpcId=built.staging_vpc_id,
        ServiceName=old["ServiceName"],
        VpcEndpointType="Interface",
        SubnetIds=old["SubnetIds"],
        SecurityGroupIds=[g["GroupId"] for g in old["Groups"]],
        PrivateDnsEnabled=False,
    )


def _vpc_dns_hostnames_off(ec2: EC2Client, built: BuiltScenario) -> None:
    ec2.modify_vpc_attribute(VpcId=built.staging_vpc_id, EnableDnsHostnames={"Value": False})


def _mgn_endpoint_sg_without_source(ec2: EC2Client, built: BuiltScenario) -> None:
    ec2.revoke_security_group_ingress(
        GroupId=built.security_group_ids["mgn-endpoint"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": SOURCE}]}],
    )


def _replication_sg_without_1500(ec2: EC2Client, built: BuiltScenario) -> None:
    ec2.revoke_security_group_ingress(
        GroupId=built.security_group_ids["replication"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 1500, "ToPort": 1500, "IpRanges": [{"CidrIp": SOURCE}]}],
    )


def _replication_sg_without_s3_egress(ec2: EC2Client, built: BuiltScenario) -> None:
    assert built.s3_prefix_list_id is not None
    ec2.revoke_security_group_egress(
        GroupId=built.security_group_ids["replication"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": built.s3_prefix_list_id}],
            }
        ],
    )


def _gateway_off_staging_route_table(ec2: EC2Client, built: BuiltScenario) -> None:
    staging_table = built.route_table_ids["staging"]
    ec2.modify_vpc_endpoint(VpcEndpointId=built.endpoint_ids["s3-gateway"], RemoveRouteTableIds=[staging_table])
    # AWS drops the prefix-list route with the association; moto 5.2.5 keeps it, so drop it too.
    assert built.s3_prefix_list_id is not None
    ec2.delete_route(RouteTableId=staging_table, DestinationPrefixListId=built.s3_prefix_list_id)


def _return_route_deleted(ec2: EC2Client, built: BuiltScenario) -> None:
    ec2.delete_route(RouteTableId=built.route_table_ids["staging"], DestinationCidrBlock=SOURCE)


def _nacl_denies_1500(ec2: EC2Client, built: BuiltScenario) -> None:
    default = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [built.staging_vpc_id]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"][0]
    ec2.create_network_acl_entry(
        NetworkAclId=default["NetworkAclId"],
        RuleNumber=90,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock=SOURCE,
        PortRange={"From": 1500, "To": 1500},
    )


def _gateway_policy_without_al2023(ec2: EC2Client, built: BuiltScenario) -> None:
    buckets = [b for b in mgn_s3_buckets(built.region) if not b.startswith("al2023-repos-")]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{b}/*" for b in buckets],
            }
        ],
    }
    ec2.modify_vpc_endpoint(VpcEndpointId=built.endpoint_ids["s3-gateway"], PolicyDocument=json.dumps(policy))


def _delete_ssmmessages_endpoint(ec2: EC2Client, built: BuiltScenario) -> None:
    ec2.delete_vpc_endpoints(VpcEndpointIds=[built.endpoint_ids["ssmmessages-interface"]])


MISCONFIGURATIONS: dict[str, Callable[[EC2Client, BuiltScenario], None]] = {
    "ENDPOINT_MISSING": _delete_mgn_endpoint,
    "ENDPOINT_NOT_AVAILABLE": _mgn_endpoint_pending_acceptance,
    "PRIVATE_DNS_DISABLED": _ec2_endpoint_private_dns_off,
    "VPC_DNS_DISABLED": _vpc_dns_hostnames_off,
    "ENDPOINT_SG_BLOCKS_443": _mgn_endpoint_sg_without_source,
    "REPLICATION_SG_BLOCKS_1500": _replication_sg_without_1500,
    "REPLICATION_SG_EGRESS_BLOCKED": _replication_sg_without_s3_egress,
    "GATEWAY_ROUTE_MISSING": _gateway_off_staging_route_table,
    "RETURN_ROUTE_MISSING": _return_route_deleted,
    "NACL_BLOCKS": _nacl_denies_1500,
    "ENDPOINT_POLICY_DENIES": _gateway_policy_without_al2023,
    "SSM_ENDPOINT_MISSING": _delete_ssmmessages_endpoint,
}
# INFO codes cannot be "the only problem"; the clean network must show them instead.
SHOWN_ON_CLEAN_NETWORK = {"ENDPOINT_DNS_NAMES"}


def test_preflight_seed_clean_reports_no_blocker_or_warning(clean, preflight) -> None:
    # Given the field report's network, built in moto
    # When
    findings = preflight(clean.target)
    # Then
    assert _problem_codes(findings) == set()


def test_preflight_seed_clean_tells_endpoint_names_for_installer(clean, preflight) -> None:
    # Given
    mgn_id, s3_id = clean.endpoint_ids["mgn-interface"], clean.endpoint_ids["s3-interface"]
    # When
    info = {f.resource: f for f in preflight(clean.target) if f.code == "ENDPOINT_DNS_NAMES"}
    # Then
    assert set(info) == {mgn_id, s3_id}
    assert f"--endpoint {mgn_id}-" in info[mgn_id].fix
    assert ".mgn.us-east-1.vpce.amazonaws.com" in info[mgn_id].fix
    assert f"--s3-endpoint aws-application-migration-service-us-east-1.bucket.{s3_id}-" in info[s3_id].fix
    assert "aws-application-migration-service-us-east-1.bucket.vpce-" in info[s3_id].message


@pytest.mark.parametrize("code", sorted(MISCONFIGURATIONS))
def test_preflight_one_misconfiguration_reports_exactly_its_code(ec2, clean, preflight, code) -> None:
    # Given the clean network, broken in one place
    MISCONFIGURATIONS[code](ec2, clean)
    # When
    findings = preflight(clean.target)
    # Then
    assert _problem_codes(findings) == {code}
    assert all(f.fix for f in findings)


def test_misconfigurations_cover_every_finding_code() -> None:
    # Given / When
    covered = set(MISCONFIGURATIONS) | SHOWN_ON_CLEAN_NETWORK
    # Then
    assert covered == set(FINDING_CODES)


@pytest.mark.parametrize("name", shipped_scenarios())
def test_preflight_shipped_scenario_reports_its_expected_codes(build, preflight, name) -> None:
    # Given
    built = build(name)
    # When
    findings = preflight(built.target)
    # Then
    assert _problem_codes(findings) == set(built.expected_codes)


def test_preflight_seed_misconfigured_reports_several_distinct_blockers(build, preflight) -> None:
    # Given
    built = build("seed-misconfigured")
    # When
    blockers = {f.code for f in preflight(built.target) if f.severity is Severity.BLOCKER}
    # Then
    assert blockers == {
        "REPLICATION_SG_BLOCKS_1500",
        "PRIVATE_DNS_DISABLED",
        "GATEWAY_ROUTE_MISSING",
        "ENDPOINT_POLICY_DENIES",
    }


def test_preflight_1500_from_customer_prefix_list_passes(ec2, clean, preflight) -> None:
    # Given the 1500 rule names a customer prefix list of the data-centre ranges, not a CIDR
    prefix_list = ec2.create_managed_prefix_list(
        PrefixListName="data-centre", AddressFamily="IPv4", MaxEntries=5, Entries=[{"Cidr": "10.0.0.0/8"}]
    )["PrefixList"]["PrefixListId"]
    _replication_sg_without_1500(ec2, clean)
    ec2.authorize_security_group_ingress(
        GroupId=clean.security_group_ids["replication"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 1500,
                "ToPort": 1500,
                "PrefixListIds": [{"PrefixListId": prefix_list}],
            }
        ],
    )
    # When
    findings = preflight(clean.target)
    # Then
    assert _problem_codes(findings) == set()


def test_collect_network_snapshot_calls_only_read_apis(ec2, clean) -> None:
    # Given a recorder of every EC2 operation the adapter sends
    operations: list[str] = []
    ec2.meta.events.register("before-call.ec2", lambda model, **_: operations.append(model.name))
    # When
    Ec2Adapter(ec2).collect_network_snapshot(clean.target)
    # Then
    assert operations
    assert all(op.startswith(("Describe", "Get")) for op in operations), operations


def _target(clean: BuiltScenario, **changes: object) -> PrivatePathTarget:
    return clean.target.model_copy(update=changes)


def test_collect_network_snapshot_unknown_vpc_names_it(ec2, clean) -> None:
    # Given
    target = _target(clean, staging_vpc_id="vpc-0123456789abcdef0")
    # When
    with pytest.raises(AwsResourceNotFoundError) as caught:
        Ec2Adapter(ec2).collect_network_snapshot(target)
    # Then
    assert "vpc-0123456789abcdef0" in str(caught.value)
    assert "stagingVpcId" in str(caught.value)


def test_collect_network_snapshot_unknown_subnet_names_it(ec2, clean) -> None:
    # Given
    target = _target(clean, staging_subnet_id="subnet-0123456789abcdef0")
    # When
    with pytest.raises(AwsResourceNotFoundError) as caught:
        Ec2Adapter(ec2).collect_network_snapshot(target)
    # Then
    assert "subnet-0123456789abcdef0" in str(caught.value)
    assert "stagingSubnetId" in str(caught.value)


def test_collect_network_snapshot_subnet_of_source_vpc_is_refused(ec2, clean) -> None:
    # Given the source VPC's subnet given as the staging subnet
    target = _target(clean, staging_subnet_id=clean.source_subnet_ids["servers"])
    # When
    with pytest.raises(InvalidInputError) as caught:
        Ec2Adapter(ec2).collect_network_snapshot(target)
    # Then
    assert caught.value.field == "stagingSubnetId"
    assert clean.source_vpc_id in str(caught.value)


def test_collect_network_snapshot_unknown_replication_sg_names_it(ec2, clean) -> None:
    # Given
    target = _target(clean, replication_sg_ids=(*clean.target.replication_sg_ids, "sg-0123456789abcdef0"))
    # When
    with pytest.raises(AwsResourceNotFoundError) as caught:
        Ec2Adapter(ec2).collect_network_snapshot(target)
    # Then
    assert "sg-0123456789abcdef0" in str(caught.value)
    assert "replicationSgIds" in str(caught.value)
    assert clean.target.replication_sg_ids[0] not in str(caught.value)


def test_collect_network_snapshot_replication_sg_of_another_vpc_is_refused(ec2, clean) -> None:
    # Given an SG of the source VPC
    foreign = ec2.create_security_group(GroupName="elsewhere", Description="x", VpcId=clean.source_vpc_id)["GroupId"]
    target = _target(clean, replication_sg_ids=(foreign,))
    # When
    with pytest.raises(InvalidInputError) as caught:
        Ec2Adapter(ec2).collect_network_snapshot(target)
    # Then
    assert caught.value.field == "replicationSgIds"
    assert f"{foreign} is in {clean.source_vpc_id}" in str(caught.value)


# --- routes as users build them ------------------------------------------------------------------


def test_preflight_endpoint_subnet_on_a_table_without_the_way_back_names_that_table(ec2, clean, preflight) -> None:
    # Given: the endpoints' subnet moves to a route table of its own that knows only the VPC
    endpoints_subnet = clean.subnet_ids["endpoints"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [endpoints_subnet]}])
    association = next(a for a in tables["RouteTables"][0]["Associations"] if a.get("SubnetId") == endpoints_subnet)
    lonely = ec2.create_route_table(VpcId=clean.staging_vpc_id)["RouteTable"]["RouteTableId"]
    ec2.replace_route_table_association(AssociationId=association["RouteTableAssociationId"], RouteTableId=lonely)
    # When
    problems = [f for f in preflight(clean.target) if f.severity is not Severity.INFO]
    # Then
    assert [(f.code, f.resource) for f in problems] == [("RETURN_ROUTE_MISSING", lonely)]
    assert f"subnet {endpoints_subnet} (explicitly associated, with the mgn, s3" in problems[0].message


def test_preflight_leftover_route_to_an_internet_gateway_inside_the_source_range(ec2, clean, preflight) -> None:
    # Given: the /16 goes back over the peering connection, a leftover /24 of it to the internet
    staging_table = clean.route_table_ids["staging"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=clean.staging_vpc_id)
    ec2.create_route(RouteTableId=staging_table, DestinationCidrBlock="10.10.5.0/24", GatewayId=igw)
    # When
    problems = [f for f in preflight(clean.target) if f.severity is not Severity.INFO]
    # Then
    assert [(f.code, f.resource) for f in problems] == [("RETURN_ROUTE_MISSING", staging_table)]
    assert f"sends 10.10.5.0/24 of source range {SOURCE} to the route 10.10.5.0/24 → {igw}" in problems[0].message
