"""Lint of workflow/rules: every value a shell command interpolates is quoted (``{x:q}``), so a name with a
space, a quote or ``$(...)`` can never run or break a command (the schemas refuse such names as well)."""

from __future__ import annotations

import ast
import re

PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]+)\}(?!\})")  # {x}, not the literal braces {{ }}
BARE_OK = {"threads"}  # an int Snakemake sets


def shell_commands(text: str) -> list[str]:
    """The command string of every ``shell:`` directive of a rule file (adjacent literals joined)."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)shell:\s*(.*)$", line)
        if not m:
            continue
        body = [m[2]] if m[2] else []
        for nxt in lines[i + 1:]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= len(m[1]):
                break
            body.append(nxt.strip())
        out.append(ast.literal_eval("(" + "\n".join(body) + ")"))
    return out


def unquoted(command: str) -> list[str]:
    return [p for p in PLACEHOLDER.findall(command) if not p.endswith(":q") and p not in BARE_OK]


def test_the_lint_finds_an_unquoted_interpolation():
    rule = ('rule x:\n    shell:\n        "cmd {wildcards.problem}/{wildcards.run:q} --n {threads} "\n'
            '        "{params.cfg} > {log:q} && echo {{literal}}"\n\nrule y:\n    shell: "cmd {input} {output:q}"\n')
    assert [unquoted(c) for c in shell_commands(rule)] == [["wildcards.problem", "params.cfg"], ["input"]]


def test_every_shell_interpolation_of_every_rule_file_is_quoted(repo):
    files = sorted((repo / "workflow" / "rules").glob("*.smk"))
    commands = {f.name: shell_commands(f.read_text()) for f in files}
    assert sum(map(len, commands.values())) >= 10  # the parser finds the rules' commands
    bad = {name: [u for c in cs for u in unquoted(c)] for name, cs in commands.items()}
    assert not any(bad.values()), f"quote these with :q: { {k: v for k, v in bad.items() if v} }"
