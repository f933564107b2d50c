"""The two locks: requirements.lock is what production installs, requirements-dev.lock what
development adds. They hold exactly what pyproject.toml declares, and everything the code imports
is declared, the app's own imports in the production lock."""

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
OWN_PACKAGES = {"diary", "witnesses", "project", "tests", "bench", "stack", "manage"}
# Imported by the app but declared by what brings them, whose API they are part of.
DECLARED_BY = {
    "asgiref": "Django",
    "boto3": "django-storages[s3]",
    "botocore": "django-storages[s3]",
}


def pins(lock: str) -> dict[str, str]:
    lines = (ROOT / lock).read_text().splitlines()
    pinned = [line.split("==") for line in lines if "==" in line and not line.startswith("#")]
    return {canonicalize_name(name): version for name, version in pinned}


RUNTIME = pins("requirements.lock")
DEV = pins("requirements-dev.lock")


def closure(requirements: list[str]) -> set[str]:
    """Every distribution these requirements install, extras followed, read from what is
    installed here (the locks' own versions)."""
    wanted: dict[str, set[str]] = {}
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in wanted and set(requirement.extras) <= wanted[name]:
            continue
        extras = wanted.setdefault(name, set())
        extras |= requirement.extras
        for text in importlib.metadata.requires(name) or []:
            dependency = Requirement(text)
            environments = [{"extra": extra} for extra in ("", *sorted(extras))]
            if dependency.marker is None or any(map(dependency.marker.evaluate, environments)):
                todo.append(dependency)
    return set(wanted)


def imported_distributions(*folders: str) -> dict[str, str]:
    """The distribution behind each third-party module these folders import, with one file
    that imports it."""
    providers = importlib.metadata.packages_distributions()
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.partition(".")[0]
                    if top in sys.stdlib_module_names or top in OWN_PACKAGES:
                        continue
                    for distribution in providers.get(top, [top]):
                        found.setdefault(canonicalize_name(distribution), str(path))
    return found


def test_the_dev_lock_includes_the_production_lock_and_pins_nothing_twice():
    lines = (ROOT / "requirements-dev.lock").read_text().splitlines()
    assert "-r requirements.lock" in lines
    assert not RUNTIME.keys() & DEV.keys()


def test_the_production_lock_is_what_pyproject_declares_for_running():
    assert set(RUNTIME) == closure(PROJECT["dependencies"])


def test_the_dev_lock_is_what_development_adds():
    everything = closure(PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"])
    assert set(DEV) == everything - set(RUNTIME)


def test_the_app_imports_only_what_production_installs():
    missing = {
        distribution: path
        for distribution, path in imported_distributions("diary", "witnesses", "project").items()
        if distribution not in RUNTIME
    }
    assert not missing


def test_what_the_app_imports_is_declared_by_name():
    declared = {canonicalize_name(Requirement(text).name) for text in PROJECT["dependencies"]}
    undeclared = {
        distribution: path
        for distribution, path in imported_distributions("diary", "witnesses", "project").items()
        if distribution not in declared and distribution not in DECLARED_BY
    }
    assert not undeclared


def test_tests_and_tools_import_only_what_the_locks_pin():
    missing = {
        distribution: path
        for distribution, path in imported_distributions("tests", "bench", "stack").items()
        if distribution not in RUNTIME | DEV
    }
    assert not missing
