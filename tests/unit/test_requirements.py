"""What `pip install .` and `pip install -r requirements.txt` give a user is the same kindplane.

requirements.txt holds the runtime dependencies and the package; requirements-dev.txt adds the
test and lint tools on top of it. A floor raised in one file and not the other (pyproject.toml
once asked for pydantic>=2.6 while the code needs 2.10) lets one install route build a kindplane
that fails at its first config.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")


def parsed(line: str) -> tuple[str, str]:
    """("pydantic", "<3,>=2.10") from "pydantic>=2.10,<3": the name as pip compares names, the
    specifiers in a fixed order."""
    found = _REQUIREMENT.match(line.strip())
    assert found, line
    name = re.sub(r"[-_.]+", "-", found.group(1)).lower()
    specifiers = sorted(part.strip() for part in found.group(2).replace(" ", "").split(",") if part.strip())
    return name, ",".join(specifiers)


def requirement_lines(file: str) -> list[str]:
    """The lines pip reads as requirements or options (comments and blank lines left out)."""
    lines = (line.split(" #", 1)[0].strip() for line in (REPO / file).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pyproject_dependencies() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return dict(parsed(d) for d in project["dependencies"])


def test_parsing_normalises_names_and_specifier_order():
    assert parsed("PyYAML >= 6") == ("pyyaml", ">=6")
    assert parsed("pydantic>=2.10, <3") == parsed("pydantic<3,>=2.10") == ("pydantic", "<3,>=2.10")
    assert parsed("pulumi_docker==5.2.0") == ("pulumi-docker", "==5.2.0")


def test_requirements_txt_and_pyproject_ask_for_the_same_packages_with_the_same_floors():
    lines = requirement_lines("requirements.txt")
    runtime = dict(parsed(line) for line in lines if line != ".")
    assert runtime == pyproject_dependencies()
    assert runtime["pydantic"] == "<3,>=2.10"  # the floor the config models need


def test_requirements_txt_installs_the_package_itself_and_no_development_tool():
    lines = requirement_lines("requirements.txt")
    assert lines[-1] == "."  # a plain install of this checkout: `kindplane` on PATH afterwards
    names = {parsed(line)[0] for line in lines if line != "."}
    assert not names & {"pytest", "pytest-xdist", "pytest-timeout", "hypothesis", "ruff", "mypy"}


def test_the_development_file_adds_the_tools_on_top_of_the_runtime_file():
    lines = requirement_lines("requirements-dev.txt")
    assert lines[0] == "-r requirements.txt"
    tools = dict(parsed(line) for line in lines[1:])
    assert not set(tools) & set(pyproject_dependencies())  # runtime floors live in one place
    assert tools["pytest"] == "<9,>=8.4"  # xdist's --dist loadgroup groups nothing on pytest 9
    assert {"pytest-xdist", "pytest-timeout", "hypothesis", "ruff", "mypy", "types-pyyaml", "types-docker"} <= set(
        tools
    )


def test_ci_installs_the_development_file_and_builds_are_not_committed():
    assert "python -m pip install -q -r requirements-dev.txt" in (REPO / ".ci" / "run").read_text().splitlines()
    assert "build/" in (REPO / ".gitignore").read_text().splitlines()
