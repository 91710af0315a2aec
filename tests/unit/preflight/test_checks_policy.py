"""Endpoint policies: a small IAM evaluator and the checks that use it."""

from __future__ import annotations

import pytest

from mgn_wave.preflight.policy import Decision, evaluate

AL2023 = "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*"


def _allow(action, resource, **extra):
    return {"Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("case", "policy", "action", "resource", "decision"),
    [
        ("no policy: full access", None, "s3:GetObject", AL2023, Decision.ALLOW),
        ("no statement: implicit deny", {"Statement": []}, "s3:GetObject", AL2023, Decision.IMPLICIT_DENY),
        (
            "single statement as a mapping",
            {"Statement": _allow("*", "*")},
            "s3:GetObject",
            AL2023,
            Decision.ALLOW,
        ),
        ("action wildcard", {"Statement": [_allow("s3:Get*", "*")]}, "s3:GetObject", AL2023, Decision.ALLOW),
        (
            "action is case-insensitive",
            {"Statement": [_allow("S3:getobject", "*")]},
            "s3:GetObject",
            AL2023,
            Decision.ALLOW,
        ),
        (
            "resource wildcard",
            {"Statement": [_allow("s3:GetObject", "arn:aws:s3:::al2023-repos-*/*")]},
            "s3:GetObject",
            AL2023,
            Decision.ALLOW,
        ),
        (
            "resource ? wildcard",
            {"Statement": [_allow("s3:GetObject", "arn:aws:s3:::al2023-repos-us-east-?-de612dc2/*")]},
            "s3:GetObject",
            AL2023,
            Decision.ALLOW,
        ),
        (
            "resource is case-sensitive",
            {"Statement": [_allow("s3:GetObject", "arn:aws:s3:::AL2023-repos-*/*")]},
            "s3:GetObject",
            AL2023,
            Decision.IMPLICIT_DENY,
        ),
        (
            "other bucket only",
            {"Statement": [_allow("s3:GetObject", "arn:aws:s3:::amazon-ssm-us-east-1/*")]},
            "s3:GetObject",
            AL2023,
            Decision.IMPLICIT_DENY,
        ),
        (
            "explicit deny wins over allow",
            {
                "Statement": [
                    _allow("*", "*"),
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::al2023-*",
                    },
                ]
            },
            "s3:GetObject",
            AL2023,
            Decision.EXPLICIT_DENY,
        ),
        (
            "NotAction allows what it does not name",
            {"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "s3:PutObject", "Resource": "*"}]},
            "s3:GetObject",
            AL2023,
            Decision.ALLOW,
        ),
        (
            "NotResource excludes the bucket",
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "*",
                        "NotResource": "arn:aws:s3:::al2023-*",
                    }
                ]
            },
            "s3:GetObject",
            AL2023,
            Decision.IMPLICIT_DENY,
        ),
        (
            "Principal AWS * applies",
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*"}]},
            "s3:GetObject",
            AL2023,
            Decision.ALLOW,
        ),
        (
            "a named principal cannot be proven to be the caller",
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                        "Action": "*",
                        "Resource": "*",
                    }
                ]
            },
            "s3:GetObject",
            AL2023,
            Decision.IMPLICIT_DENY,
        ),
    ],
)
def test_evaluate_policy_follows_iam_rules(case, policy, action, resource, decision) -> None:
    # Given / When
    result = evaluate(policy, action, resource)
    # Then
    assert result is decision, case


def _buckets_except_al2023() -> list[str]:
    region = "us-east-1"
    return [
        f"arn:aws:s3:::{b}/*"
        for b in (
            f"aws-mgn-internal-{region}",
            f"aws-mgn-internal-hashes-{region}",
            f"aws-application-migration-service-{region}",
            f"aws-application-migration-service-hashes-{region}",
            f"amazon-ssm-{region}",
        )
    ]


@pytest.mark.parametrize("endpoint_key", ["s3-gateway", "s3-interface"])
def test_run_preflight_s3_policy_without_al2023_bucket_blocks(network, endpoint_key) -> None:
    # Given the policy of the UG's older version (before the AL2023 bucket)
    network.set_endpoint(endpoint_key, policy={"Statement": [_allow("s3:GetObject", _buckets_except_al2023())]})
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.resource) for f in problems] == [("ENDPOINT_POLICY_DENIES", network.ENDPOINT_IDS[endpoint_key])]
    assert f"denies s3:GetObject on {AL2023} (implicit deny)" in problems[0].message
    assert f'"Resource": "{AL2023}"' in problems[0].fix


def test_run_preflight_s3_policy_with_every_bucket_passes(network) -> None:
    # Given the current UG example policy
    resources = [*_buckets_except_al2023(), AL2023]
    network.set_endpoint("s3-gateway", policy={"Statement": [_allow("s3:GetObject", resources)]})
    # When / Then
    assert network.codes() == set()


def test_run_preflight_s3_policy_explicit_deny_names_deny(network) -> None:
    # Given
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::aws-mgn-*"}
    network.set_endpoint("s3-gateway", policy={"Statement": [_allow("*", "*"), deny]})
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["ENDPOINT_POLICY_DENIES"]
    assert "(explicit deny) (and 1 more request(s))" in problems[0].message
    assert problems[0].fix.endswith("and remove the Deny statement that matches it.")


def test_run_preflight_mgn_policy_without_execute_api_blocks(network) -> None:
    # Given an mgn endpoint policy that allows the mgn actions but not the session call
    network.set_endpoint("mgn", policy={"Statement": [_allow("mgn:*", "*")]})
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["ENDPOINT_POLICY_DENIES"]
    assert (
        "denies execute-api:Invoke on arn:aws:execute-api:us-east-1:*:*/POST/CreateSessionForMgn" in problems[0].message
    )


def test_run_preflight_mgn_policy_as_documented_passes(network) -> None:
    # Given the UG's statement plus the installation policy's actions
    policy = {
        "Statement": [
            _allow("execute-api:Invoke", "arn:aws:execute-api:us-east-1:*:*/POST/CreateSessionForMgn"),
            _allow("mgn:*ForMgn", "*"),
        ]
    }
    network.set_endpoint("mgn", policy=policy)
    # When / Then
    assert network.codes() == set()
