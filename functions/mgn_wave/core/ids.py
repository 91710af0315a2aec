"""The forms of AWS Region codes, resource IDs and ARNs: one home for each, used by the models,
the adapters, the handlers, the install parameters and the CLI.

Patterns are unanchored so they compose (an ARN is built from the Region and ID patterns); match
them with `re.fullmatch`, or anchor them with `full()` for pydantic and the SSM document. `[0-9]`,
never `\\d`: Python's `\\d` also takes other scripts' digits.
"""

from __future__ import annotations

# Region codes. botocore's partitions (`botocore/data/partitions.json`) put at most one qualifier
# (`gov`, `iso`, `isob`, `isoe`, `isof`, `de`) between the prefix and the name, so a Region has one
# or two words between its prefix and its number: us-east-1, ap-southeast-3, cn-north-1,
# us-gov-west-1, us-isob-east-1, eusc-de-east-1. Bounded on purpose: this value reaches a shell on
# every source server, and the unbounded `(-[a-z]+)+` also took strings no Region has
# (`us-a-b-c-d-1`). tests/unit/test_ids.py holds it to every Region botocore knows.
REGION = r"[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}"
PARTITION = r"aws(-[a-z]+)*"  # aws, aws-cn, aws-us-gov, aws-iso-b, …
ACCOUNT_ID = r"[0-9]{12}"

# MGN (botocore mgn model; docs/mgn-facts.md §1.3)
SOURCE_SERVER_ID = r"s-[0-9a-zA-Z]{17}"
TEMPLATE_ID = r"rct-[0-9a-zA-Z]{17}"
JOB_ID = r"mgnjob-[0-9a-zA-Z]{17}"
# What MGN's API accepts for the staging subnet and replication SGs (botocore mgn model): wider
# than what EC2 issues, so only the check before a request leaves for MGN uses these.
MGN_SUBNET_ID = r"subnet-[0-9a-fA-F]{8,}"
MGN_SECURITY_GROUP_ID = r"sg-[0-9a-fA-F]{8,}"

# EC2 and SSM: what an operator may name (EC2 issues 8 or 17 lowercase hex digits)
VPC_ID = r"vpc-[0-9a-f]{8,17}"
SUBNET_ID = r"subnet-[0-9a-f]{8,17}"
SECURITY_GROUP_ID = r"sg-[0-9a-f]{8,17}"
# EC2 instances (8 or 17 hex digits) and SSM hybrid-activated nodes (mi- + 17 hex digits)
EC2_INSTANCE_ID = r"i-([0-9a-f]{8}|[0-9a-f]{17})"
NODE_ID = rf"({EC2_INSTANCE_ID}|mi-[0-9a-f]{{17}})"

# ARNs
SOURCE_SERVER_ARN = rf"arn:{PARTITION}:mgn:{REGION}:{ACCOUNT_ID}:source-server/(?P<source_server_id>{SOURCE_SERVER_ID})"
# The resource of an `aws.tag` event about a server: an EC2 instance or an SSM managed node
NODE_ARN = rf"arn:{PARTITION}:(ec2|ssm):{REGION}:{ACCOUNT_ID}:(instance|managed-instance)/(?P<id>[^/]+)"
STATE_MACHINE_ARN = rf"arn:{PARTITION}:states:{REGION}:{ACCOUNT_ID}:stateMachine:[A-Za-z0-9_.-]{{1,80}}"
# An execution name has no whitespace, brackets, wildcards, control or special characters (AWS).
EXECUTION_ARN = (
    rf"arn:{PARTITION}:states:{REGION}:{ACCOUNT_ID}:execution:[A-Za-z0-9_.-]{{1,80}}:"
    r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}"
)
STACK_ARN = rf"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT_ID}:stack/[A-Za-z][-A-Za-z0-9]{{0,127}}/[-A-Za-z0-9]+"


def full(pattern: str) -> str:
    """The pattern anchored to the whole value (pydantic searches; the SSM document and the
    scripts match the whole value)."""
    return f"^{pattern}$"
