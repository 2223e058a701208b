"""What a release ships: the sdist and the wheel, one version everywhere, the wheel on each Python.

The artifact checks read the sdist and the wheel that `.ci/run` builds and names in STATUSCLI_DIST
(a directory holding one `*.tar.gz` and one `*.whl`). Without it they skip, except under CI=true,
where they fail: CI must never pass them by skipping.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from statuscli import __version__

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DIST = "STATUSCLI_DIST"
# Read before any test isolates HOME.
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
PIP_FLAGS = ["--quiet", "--no-compile"]
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")


def dist_file(pattern: str) -> Path:
    value = os.environ.get(DIST)
    if not value:
        reason = f"{DIST} is not set (.ci/run builds the sdist and the wheel and sets it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    found = sorted(Path(value).glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {value}, found {[p.name for p in found]}"
    return found[0]


@pytest.fixture(scope="module")
def sdist() -> dict[str, bytes]:
    """The sdist's files, named without the `statuscli-VERSION/` prefix."""
    with tarfile.open(dist_file("*.tar.gz")) as archive:
        files = {}
        for member in archive.getmembers():
            if member.isfile():
                handle = archive.extractfile(member)
                assert handle is not None
                files[member.name.split("/", 1)[1]] = handle.read()
    return files


@pytest.fixture(scope="module")
def wheel() -> dict[str, bytes]:
    with zipfile.ZipFile(dist_file("*.whl")) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def tree_files(folder: str) -> set[str]:
    """The project's files under `folder`, as the sdist names them (caches left out: `__pycache__`, and
    the `.ruff_cache` that `ruff check .` leaves beside each folder's own ruff.toml)."""
    caches = {"__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"}
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and not caches.intersection(path.parts) and path.suffix != ".pyc"
    }


def test_sdist_holds_what_a_packager_needs_to_build_and_test(sdist: dict[str, bytes]) -> None:
    needed = {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "statuscli/scenarios/default.toml",
        "statuscli/py.typed",
        "tests/conftest.py",
        "tests/specs/anchor.openapi.yaml",
        "tests/specs/browser-use.openapi.yaml",
        "tests/specs/hyperbrowser.openapi.yaml",
        "tests/specs/skyvern.openapi.yaml",
        "tests/specs/browseract.openapi.yaml",
        "tests/test_contract.py",
        "tests/prism.py",
        "completions/status.bash",
        "completions/generate.py",
    }
    needed |= tree_files("statuscli") | tree_files("tests") | tree_files("completions")
    assert sorted(needed - set(sdist)) == []
    assert sdist["LICENSE"] == (ROOT / "LICENSE").read_bytes()
    assert not any(name.startswith("benchmarks/") for name in sdist)


def test_wheel_holds_the_whole_package_and_no_tests_or_benchmarks(
    sdist: dict[str, bytes], wheel: dict[str, bytes]
) -> None:
    dist_info = f"statuscli-{__version__}.dist-info/"
    assert {name.split("/", 1)[0] + "/" for name in wheel} == {"statuscli/", dist_info}
    assert not [name for name in wheel if re.search(r"(^|/)(tests?|benchmarks|conftest\.py)(/|$)", name)]
    # Every file of the package that the sdist carries, data files included, is in the wheel.
    package = {name for name in sdist if name.startswith("statuscli/")}
    assert sorted(package - set(wheel)) == []
    assert wheel["statuscli/py.typed"] == b""
    assert wheel[dist_info + "licenses/LICENSE"] == (ROOT / "LICENSE").read_bytes()


def test_wheel_declares_both_console_scripts(wheel: dict[str, bytes]) -> None:
    text = wheel[f"statuscli-{__version__}.dist-info/entry_points.txt"].decode()
    assert "status = statuscli.cli:main" in text
    assert "statuscli = statuscli.cli:main" in text


def changelog_version() -> str:
    heading = next(
        line
        for line in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    )
    match = re.match(r"## (\d+\.\d+\.\d+\S*)", heading)
    assert match, f"the latest CHANGELOG heading names no version: {heading!r}"
    return match.group(1)


def test_one_version_source_and_every_place_agrees() -> None:
    # The one source is statuscli/version.py (hatch reads it); no other module spells the number.
    others = [
        path.name
        for path in (ROOT / "statuscli").rglob("*.py")
        if path.name != "version.py" and f'"{__version__}"' in path.read_text(encoding="utf-8")
    ]
    assert others == []
    assert changelog_version() == __version__
    assert importlib.metadata.version("statuscli") == __version__, "reinstall: pip install -e '.[test]'"
    done = subprocess.run(
        [str(BIN / "status"), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"statuscli {__version__}\n")


def test_built_artifacts_carry_the_same_version(sdist: dict[str, bytes], wheel: dict[str, bytes]) -> None:
    metadata = Parser().parsestr(wheel[f"statuscli-{__version__}.dist-info/METADATA"].decode())
    assert metadata["Version"] == __version__ == changelog_version()
    assert metadata["License-Expression"] == "MIT"
    assert Parser().parsestr(sdist["PKG-INFO"].decode())["Version"] == __version__
    assert dist_file("*.whl").name.startswith(f"statuscli-{__version__}-")


def find_python(version: str) -> str | None:
    """An interpreter that really is Python `version` (a pyenv shim may exist yet refuse to run)."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(map(str, PYENV_VERSIONS.glob(f"{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_the_wheel_runs_on_each_supported_python(version: str, tmp_path: Path) -> None:
    wheel_path = dist_file("*.whl")
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed here")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    # This environment's pip installs into the new one (quicker than a pip of its own per interpreter).
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            *PIP_FLAGS,
            str(wheel_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PIP_CACHE_DIR=PIP_CACHE),
        check=False,
    )
    assert install.returncode == 0, install.stderr
    for argv in (
        [venv / "bin" / "status"],
        [venv / "bin" / "statuscli"],
        [venv / "bin" / "python", "-m", "statuscli"],
    ):
        done = subprocess.run(
            [*map(str, argv), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            check=False,
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, f"statuscli {__version__}\n", ""), argv
    # Run from elsewhere, it imports the installed package, and the demo's scenario file is in it.
    probe = "import statuscli.sim as s; print(s.__file__, len(s.default_scenario().tasks))"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    where, tasks = done.stdout.split()
    assert Path(where).is_relative_to(venv)
    assert int(tasks) > 0
