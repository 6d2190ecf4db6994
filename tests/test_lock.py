"""The lock files: pins within pyproject.toml's ranges, hashes for every pin, one version per package in both
files, and the venv the tests run in holds exactly the developer's lock.

`python3 tasks.py lock` writes the files; these tests fail when pyproject.toml changes without a new lock (a
bound raised, a dependency added), when someone edits a pin by hand without its hashes, or when
`tasks.py test` ran in an environment that is not the pinned one.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"course": ROOT / "requirements-course.txt", "dev": ROOT / "requirements-dev.txt"}
LOCKED_EXTRAS = {"course": ["course"], "dev": ["course", "test", "site", "jax", "cluster"]}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^ ;\\]+)\s*(?:;(?P<marker>[^\\]+))?\\?\s*$")


def read_lock(path: Path) -> list[dict]:
    """Every pin of a lock file: name, version, marker (or None) and its hashes."""
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins.append({"name": canonicalize_name(match["name"]), "version": Version(match["version"]),
                         "marker": (match["marker"] or "").strip() or None, "hashes": []})  # fmt: skip
        elif line.strip().startswith("--hash=") and pins:
            pins[-1]["hashes"].append(line.strip().removeprefix("--hash=").rstrip(" \\"))
        elif line and not line.startswith((" ", "#")):
            raise AssertionError(f"{path.name}: a line that is neither a pin, a hash nor a comment: {line!r}")
    return pins


def requirements(lock: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in LOCKED_EXTRAS[lock]:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _applies(marker: str | None, environment: dict) -> bool:
    from packaging.markers import Marker

    return marker is None or Marker(marker).evaluate(environment)


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_has_hashes(lock):
    pins = read_lock(LOCKS[lock])
    assert len(pins) > 50
    def hashed(pin: dict) -> bool:
        return bool(pin["hashes"]) and all(h.startswith("sha256:") and len(h) == 71 for h in pin["hashes"])

    unhashed = [p["name"] for p in pins if not hashed(p)]
    assert not unhashed, f"{LOCKS[lock].name}: pins without sha256 hashes: {unhashed}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
@pytest.mark.parametrize("platform", ["linux-x86_64", "darwin-arm64", "linux-aarch64", "win32-AMD64"])
def test_pins_satisfy_pyproject_on_every_platform(lock, platform):
    system, machine = platform.split("-")
    environment = {**default_environment(), "sys_platform": system, "platform_machine": machine,
                   "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}[system],
                   "os_name": "nt" if system == "win32" else "posix"}  # fmt: skip
    pins = [p for p in read_lock(LOCKS[lock]) if _applies(p["marker"], environment)]
    versions = {p["name"]: p["version"] for p in pins}
    problems = []
    for requirement in requirements(lock):
        if not _applies(str(requirement.marker) if requirement.marker else None, environment):
            continue
        name = canonicalize_name(requirement.name)
        if name not in versions:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(versions[name], prereleases=True):
            problems.append(f"{requirement} but the lock pins {versions[name]}")
    assert not problems, f"{LOCKS[lock].name} is out of date; run `python3 tasks.py lock`: {problems}"


def test_the_course_lock_takes_the_developer_locks_versions():
    def versions(lock: str) -> dict[str, set[Version]]:
        found: dict[str, set[Version]] = {}
        for pin in read_lock(LOCKS[lock]):  # markers may differ between the files
            found.setdefault(pin["name"], set()).add(pin["version"])
        return found

    dev, course = versions("dev"), versions("course")
    differ = {name: (v, dev.get(name)) for name, v in course.items() if not v <= dev.get(name, set())}
    assert not differ, f"the course lock pins other versions than the developer's (course, dev): {differ}"
    assert len(course) < len(dev)


@pytest.mark.skipif(os.environ.get("RNNCOURSE_LATEST") == "1", reason="tasks.py test --latest: not the lock")
def test_this_environment_is_the_developer_lock():
    if not Path(sys.prefix, "rnncourse-install.json").exists():
        pytest.skip("not a venv installed by tasks.py (the lock is what `python3 tasks.py test` installs)")
    environment = default_environment()
    wrong = []
    for pin in read_lock(LOCKS["dev"]):
        if not _applies(pin["marker"], environment):
            continue
        try:
            installed = Version(importlib.metadata.version(pin["name"]))
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{pin['name']} is missing")
            continue
        if installed != pin["version"]:
            wrong.append(f"{pin['name']} {installed} (the lock: {pin['version']})")
    assert not wrong, f"the tests run in an environment that is not {LOCKS['dev'].name}: {wrong}"
