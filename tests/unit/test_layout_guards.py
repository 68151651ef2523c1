"""test_layout.py fails on a planted violation of each of its rules (pytester runs it over a small
tree of its own through KINDPLANE_LAYOUT_ROOT)."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

LAYOUT_TESTS = Path(__file__).with_name("test_layout.py")

PLANTED = {
    "kindplane/__init__.py": "",
    "kindplane/program.py": "from .ops import docker_lookup\n",
    "kindplane/core/__init__.py": "",
    "kindplane/core/config/__init__.py": "",
    "kindplane/core/config/models.py": "from ..render import kind_config\n",  # config above render
    "kindplane/core/render/__init__.py": "",
    "kindplane/core/render/kind_config.py": "from ..config import ClusterConfig\nfrom ..components import cluster\n",  # render above components
    "kindplane/core/components/__init__.py": "",
    "kindplane/core/components/cluster.py": "from ...ops import docker_lookup\n",  # core reaching ops
    "kindplane/ops/__init__.py": "",
    "kindplane/ops/docker_lookup.py": "from ..cli import app\n",  # ops reaching the CLI
    "kindplane/ops/preflight.py": "",
    "kindplane/ops/registry_api.py": "",  # a registry module outside ops/registry/
    "kindplane/core/contract.py": "def host_address(port):\n    return f'localhost:{port}'\n",
    "kindplane/cli/validate_cmd.py": "def where(port):\n    return f'on localhost:{port}'\n",  # a second spelling
    "kindplane/cli/__init__.py": "",
    "kindplane/cli/app.py": "import kindplane.program\n",  # the CLI reaching the program
    "kindplane/cli/lifecycle_cmd.py": "from ..ops import preflight\nfrom . import loop_a\n",
    # a command registered by a decorator that reads ctx.obj, in a module without register(app)
    "kindplane/cli/status_cmd.py": "@app.command()\ndef status(ctx):\n    return ctx.obj\n",
    "kindplane/cli/loop_a.py": "from . import loop_b\n",
    "kindplane/cli/loop_b.py": "from . import loop_a\n",  # a cycle
}


def test_every_layout_rule_fails_on_its_planted_violation(pytester, monkeypatch):
    for name, text in PLANTED.items():
        path = pytester.path / "tree" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    pytester.makepyfile(test_layout=LAYOUT_TESTS.read_text())
    monkeypatch.setenv("KINDPLANE_LAYOUT_ROOT", str(pytester.path / "tree"))

    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")

    failed = {line.split("::")[1].split(" ")[0] for line in result.outlines if line.startswith("FAILED ")}
    assert failed == {
        "test_the_core_never_imports_live_operations_the_program_or_the_cli",
        "test_live_operations_never_import_the_program_or_the_cli",
        "test_inside_the_core_config_is_below_render_and_render_below_the_components",
        "test_the_cli_never_imports_the_program",
        "test_no_module_imports_itself_back_through_others",
        "test_every_command_is_a_module_function_its_modules_register_adds",
        "test_the_registry_address_is_spelled_in_one_place",
        "test_the_registry_modules_live_in_their_package",
    }
