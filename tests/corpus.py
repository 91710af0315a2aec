"""Injection payloads for every value that can reach a shell on a source server.

Shared by the tests of the install parameters (Python validation and the document's
`allowedPattern`), the install script's own re-validation on an emulated node, and any later issue
that adds a value reaching a shell. Import it as `import corpus` (pytest puts `tests/` on the path).

Each payload may name `{canary}`: a path the test chooses; a payload that ran as a command would
create it, so "the canary does not exist" proves nothing was executed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    name: str
    template: str

    def render(self, canary: str) -> str:
        return self.template.replace("{canary}", canary)

    @property
    def passes_through_an_environment(self) -> bool:
        """False for a NUL byte: no environment variable can carry one (SSM cannot deliver it)."""
        return "\x00" not in self.template


INJECTION_PAYLOADS: tuple[Payload, ...] = (
    # command separators and substitution
    Payload("semicolon", "us-east-1; touch {canary}"),
    Payload("semicolon-no-space", "x;touch {canary}"),
    Payload("dollar-paren", "$(touch {canary})"),
    Payload("dollar-paren-inside", "us-east-$(touch {canary})1"),
    Payload("backticks", "`touch {canary}`"),
    Payload("and-and", "x && touch {canary}"),
    Payload("or-or", "x || touch {canary}"),
    Payload("pipe", "x | touch {canary}"),
    Payload("background", "x & touch {canary}"),
    Payload("newline", "us-east-1\ntouch {canary}"),
    Payload("trailing-newline", "us-east-1\n"),
    Payload("carriage-return", "us-east-1\rtouch {canary}"),
    Payload("tab", "us-east-1\ttouch {canary}"),
    Payload("nul-byte", "us-east-1\x00touch {canary}"),
    # quoting breakouts
    Payload("single-quote", "x' ; touch {canary} ; '"),
    Payload("double-quote", 'x" ; touch {canary} ; "'),
    Payload("backslash", "x\\; touch {canary}"),
    # redirections and process substitution
    Payload("redirect", "x > {canary}"),
    Payload("redirect-bare", ">{canary}"),
    Payload("append", "x >> {canary}"),
    Payload("process-substitution", "<(touch {canary})"),
    # expansions
    Payload("ifs", "x${IFS}touch${IFS}{canary}"),
    Payload("variable", "$HOME"),
    Payload("brace-expansion", "{touch,{canary}}"),
    Payload("glob", "/*"),
    Payload("tilde", "~root"),
    Payload("history", "!!"),
    Payload("ssm-parameter-reference", "{{ssm:/mgn-wave/secret}}"),
    Payload("document-parameter-reference", "{{SecretAccessKey}}"),
    # paths and argument injection
    Payload("path-traversal", "../../../etc/passwd"),
    # AWS's documented example key, assembled so no AKIA-shaped literal stands in the repository
    Payload("flag-injection", "--aws-access-key-id=" + "AKIA" + "IOSFODNN7EXAMPLE"),
    Payload("option-injection", "-oProxyCommand=touch {canary}"),
    Payload("url-encoded-newline", "us-east-1%0atouch%20{canary}"),
    # Unicode that looks harmless
    Payload("fullwidth-semicolon", "us-east-1\uff1btouch {canary}"),
    Payload("rtl-override", "us-east-1\u202etouch {canary}"),
    Payload("cyrillic-a", "us-e\u0430st-1"),
    Payload("fullwidth-digit", "us-east-\uff11"),
    Payload("zero-width-space", "us-east-1\u200b"),
    Payload("non-breaking-space", "192.168.1.1\u00a0mgn.us-east-1.amazonaws.com"),
    # Windows shells
    Payload("powershell-subexpression", "$(Invoke-Expression 'touch {canary}')"),
    Payload("powershell-env", "$env:SSM_SecretAccessKey"),
    Payload("cmd-variable", "%SystemRoot%"),
    # size: far past every limit, and still a command at the end
    Payload("very-long", "a" * 9_000 + "$(touch {canary})"),
)
