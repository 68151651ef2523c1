"""The package layout is the design: core ← ops ← program ← cli, and no module import cycle.

Inside core: config (core.config and the modules at core's root) ← render ← components.
KINDPLANE_LAYOUT_ROOT points these tests at another tree (the planted-violation test does).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

PACKAGE = Path(os.environ.get("KINDPLANE_LAYOUT_ROOT") or Path(__file__).resolve().parents[2]) / "kindplane"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every kindplane module `path` imports, at any depth of the file (lazy imports count)."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kindplane"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("kindplane"):
                continue
            # `from pkg import module` imports the module, not only the package.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {name for name in found if name in MODULES} - {this}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def layer(name: str) -> str:
    for prefix in ("kindplane.core", "kindplane.ops", "kindplane.cli"):
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return name


def test_the_core_never_imports_live_operations_the_program_or_the_cli():
    offending = {
        (name, target)
        for name, targets in GRAPH.items()
        if layer(name) == "kindplane.core"
        for target in targets
        if layer(target) != "kindplane.core"
    }
    assert offending == set()


def test_live_operations_never_import_the_program_or_the_cli():
    offending = {
        (name, target)
        for name, targets in GRAPH.items()
        if layer(name) == "kindplane.ops"
        for target in targets
        if layer(target) in ("kindplane.cli", "kindplane.program")
    }
    assert offending == set()


def core_level(name: str) -> str:
    """config, render or components: the order inside core."""
    for level in ("render", "components"):
        if name.startswith(f"kindplane.core.{level}"):
            return level
    return "config"


def test_inside_the_core_config_is_below_render_and_render_below_the_components():
    order = {"config": 0, "render": 1, "components": 2}
    offending = {
        (name, target)
        for name, targets in GRAPH.items()
        if layer(name) == "kindplane.core"
        for target in targets
        if layer(target) == "kindplane.core" and order[core_level(target)] > order[core_level(name)]
    }
    assert offending == set()


def test_the_cli_never_imports_the_program():
    # The CLI runs the program through the Pulumi engine (its own process), never in its own.
    offending = {
        (name, target)
        for name, targets in GRAPH.items()
        if layer(name) == "kindplane.cli"
        for target in targets
        if target == "kindplane.program"
    }
    assert offending == set()


def test_every_command_is_a_module_function_its_modules_register_adds():
    # One convention: `def up(ctx, ...)` at module level, `register(app)` adds it with
    # app.command("up")(up); options come through context.cli_of, never ctx.obj directly.
    commands = {
        name: path for name, path in MODULES.items() if name.startswith("kindplane.cli.") and name.endswith("_cmd")
    }
    problems = []
    for name, path in sorted(commands.items()):
        tree = ast.parse(path.read_text())
        if not any(isinstance(n, ast.FunctionDef) and n.name == "register" for n in tree.body):
            problems.append(f"{name}: no register(app)")
        for node in ast.walk(tree):
            decorators = node.decorator_list if isinstance(node, ast.FunctionDef) else []
            for decorator in decorators:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(called, ast.Attribute) and called.attr == "command":
                    problems.append(f"{name}:{node.lineno}: {node.name} is registered by a decorator")
            if isinstance(node, ast.Attribute) and node.attr == "obj" and getattr(node.value, "id", "") == "ctx":
                problems.append(f"{name}:{node.lineno}: reads ctx.obj instead of cli_of(ctx)")
    assert commands, "no command modules found: the rule would pass vacuously"
    assert problems == []


def test_no_module_imports_itself_back_through_others():
    cycles = []

    def visit(name: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        for target in sorted(GRAPH[name]):
            if target in on_path:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in done:
                on_path.add(target)
                visit(target, path + [target], on_path, done)
                on_path.discard(target)
                done.add(target)

    done: set[str] = set()
    for start in sorted(GRAPH):
        if start not in done:
            visit(start, [start], {start}, done)
            done.add(start)
    assert cycles == []


def test_the_graph_sees_the_imports_it_guards():
    # Guards the guard: the parser must find the known edges, or the tests above pass vacuously.
    assert "kindplane.core.config" in GRAPH["kindplane.core.render.kind_config"]
    assert "kindplane.ops.docker_lookup" in GRAPH["kindplane.program"]
    assert "kindplane.ops.preflight" in GRAPH["kindplane.cli.lifecycle_cmd"]


def test_the_registry_address_is_spelled_in_one_place():
    # `localhost:<port>` is built by core.contract.host_address alone (naming, the program and the
    # CLI ask it), so the registry's address cannot differ between what up writes and what
    # `registry …`, status and doctor reach.
    builders = set()
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr) and any(
                isinstance(part, ast.Constant) and "localhost:" in str(part.value) for part in node.values
            ):
                builders.add(name)
    assert builders == {"kindplane.core.contract"}


def test_the_registry_modules_live_in_their_package():
    # ops/registry/ holds what kindplane does with a running registry or mirror; the flat
    # ops/registry_*.py modules it replaced must not come back beside it.
    flat = sorted(n for n in MODULES if n.startswith(("kindplane.ops.registry_", "kindplane.ops.shared_registry")))
    assert flat == []
