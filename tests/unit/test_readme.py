"""README.md is a user's front page: short, the two commands that work on a fresh machine, no
contributor material; and every link in it and in docs/ leads somewhere."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_LINES = 200


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, re.S)


def test_the_readme_stays_a_front_page():
    assert len(README.splitlines()) <= MAX_LINES


def test_the_readme_keeps_the_command_that_installs_sets_up_and_runs_the_main_job():
    section = README.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    main_job, tests = bash_blocks(section)
    assert main_job.strip() == "pip install -r requirements.txt && kindplane setup && kindplane up"
    # what it installs is kindplane itself: requirements.txt ends with the package (test_requirements.py)
    assert (ROOT / "requirements.txt").read_text().splitlines()[-1] == "."
    assert (ROOT / "kindplane.yaml").is_file()  # what `kindplane up` reads in this folder


def test_the_readme_keeps_the_test_command_ci_runs():
    section = README.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    tests = bash_blocks(section)[1].strip().splitlines()
    assert tests == ["pip install -r requirements-dev.txt", "python -m pytest"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install -q -r requirements-dev.txt" in ci
    assert re.search(r'python -m pytest --junitxml=\S+ "\$@"', ci)  # every phase is README's command


def test_contributor_material_lives_in_contributing_not_in_the_readme():
    for word in (".ci/run", "tests/harness", "toolchain.sh", "ruff", "mypy", "hypothesis", "bench/"):
        assert word not in README, word
    contributing = (ROOT / "docs" / "contributing.md").read_text()
    for phase in (
        '-m "not docker and not engine" -n 2',
        '-m "docker and not engine" -n 3 --dist loadgroup',
        "-m engine -n 3 --dist loadgroup",
    ):
        assert phase in contributing, phase
    timings = contributing.split("### How long it takes", 1)[1].split("\n## ", 1)[0]
    assert "_to be measured_" not in timings and re.search(r"\| warm cache .*\*\*\d+ s\*\* \|", timings)


def test_every_kindplane_command_the_readme_shows_parses():
    import typer.main

    from kindplane.cli.app import app

    root = typer.main.get_command(app)
    shown = [line.split("#")[0].strip() for block in bash_blocks(README) for line in block.splitlines()]
    commands = [c for line in shown for c in line.split("&&") if c.strip().startswith("kindplane")]
    assert len(commands) >= 5
    for command in commands:
        words = shlex.split(command)[1:]
        group = root
        while words and hasattr(group, "commands") and words[0] in group.commands:
            group = group.commands[words.pop(0)]
        assert not hasattr(group, "commands"), command  # a whole command, not a group
        params = {opt for p in group.params for opt in getattr(p, "opts", [])}
        for word in words:
            if word.startswith("-"):
                assert word in params, command


def test_the_commands_table_names_every_command():
    import typer.main

    from kindplane.cli.app import app

    def leaves(group, prefix=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from leaves(command, prefix + (name,))
            else:
                yield prefix + (name,)

    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = set()
    for row in re.findall(r"^\| (.+?) \|", table, re.M):
        for first, second in re.findall(r"`kindplane ([a-z]+)(?: ([a-z/]+))?", row):
            listed |= {(first, s) for s in second.split("/")} if first in ("registry", "config") else {(first,)}
    assert listed == set(leaves(typer.main.get_command(app)))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # no headings inside code
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


def test_slugs_are_githubs():
    assert slug("Offline: `--from` the files you carry") == "offline---from-the-files-you-carry"
    assert slug("registry:2 or registry:3") == "registry2-or-registry3"
    assert slug("`kindplane registry …`") == "kindplane-registry-"


@pytest.mark.parametrize("page", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_link_leads_to_a_file_and_heading_that_exist(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.exists(), f"{page.name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{page.name}: {target}"


def test_the_registry_documents_are_one_guide_and_one_reference():
    names = {p.name for p in DOCS}
    assert "registry-and-doctor.md" not in names and "mirrors.md" not in names
    assert {"local-registry-guide.md", "registry.md", "cli.md", "config.md", "contributing.md"} <= names
