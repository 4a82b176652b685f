"""No circle in the imports of dashboard/ and sandbox/, lazy imports inside functions included.

`lint-imports` (make lint) holds the layers and finds circles between the parts of a package; this
also finds one within a package, such as between a package and a module it imports.
"""

import tomllib
from pathlib import Path

import grimp

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def circles(graph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, found = {}, {}, [], []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while not component or module not in component:
                component.add(stack.pop())
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def ignored_for_now() -> list[tuple[str, str]]:
    """What the acyclic contract in pyproject.toml ignores until the code that imports it goes."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    acyclic = next(c for c in config["contracts"] if c["type"] == "acyclic_siblings")
    return [tuple(line.split(" -> ")) for line in acyclic.get("ignore_imports", [])]


def test_no_module_of_the_dashboard_or_the_sandbox_is_imported_back_by_what_it_imports():
    graph = grimp.build_graph("dashboard", "sandbox", cache_dir=None)
    for importer, imported in ignored_for_now():
        graph.remove_import(importer=importer, imported=imported)

    assert circles(graph) == []


def test_a_circle_within_one_package_is_found():
    graph = grimp.ImportGraph()
    graph.add_import(importer="shop", imported="shop.orders")
    graph.add_import(importer="shop.orders", imported="shop.prices")
    graph.add_import(importer="shop.prices", imported="shop")
    graph.add_import(importer="shop.orders", imported="shop.words")

    assert circles(graph) == [{"shop", "shop.orders", "shop.prices"}]
