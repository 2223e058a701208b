"""The JUnit XML report: one test case per task, written atomically to the file `--junit-xml` names."""

from __future__ import annotations

import contextlib
import os
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC
from pathlib import Path

from statuscli.core.errors import UsageError
from statuscli.reports.model import Kind, RunReport, one_line, xml_text

#: Characters of server text kept in one JUnit element body.
MAX_TEXT = 16_000


def _body(text: str) -> str:
    text = xml_text(text.replace("\x1b", ""))
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def junit_xml(report: RunReport) -> bytes:
    """The report as JUnit XML: `<testsuites>` holding one `<testsuite name="statuscli">`."""
    failures = report.count(Kind.FAILED, Kind.CANCELLED, Kind.TIMED_OUT, Kind.INTERRUPTED, Kind.PENDING)
    errors = report.count(Kind.ERROR)
    seconds = f"{report.seconds:.3f}"
    root = ET.Element(
        "testsuites",
        {
            "name": "statuscli",
            "tests": str(len(report.tasks)),
            "failures": str(failures),
            "errors": str(errors),
            "time": seconds,
        },
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": "statuscli",
            "timestamp": report.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "time": seconds,
            "tests": str(len(report.tasks)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(report.count(Kind.SKIPPED)),
        },
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "command", "value": f"status {report.command}"})
    ET.SubElement(props, "property", {"name": "exit_code", "value": str(int(report.exit_code))})
    for task in report.tasks:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": task.target.word,
                "name": xml_text(task.name),
                "time": f"{task.seconds:.3f}",
            },
        )
        message = one_line(task.message, 1000)
        if task.kind is Kind.ERROR:
            element = ET.SubElement(case, "error", {"type": task.error_code or "error", "message": message})
            element.text = _body(task.message)
        elif task.kind is Kind.SKIPPED:
            ET.SubElement(case, "skipped", {"message": message})
        elif task.kind is not Kind.SUCCESS:
            element = ET.SubElement(case, "failure", {"type": task.kind.value, "message": message})
            element.text = _body(task.message)
        if task.history:
            ET.SubElement(case, "system-out").text = _body("\n".join(task.history) + "\n")
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def check_junit_path(path: str) -> Path:
    """The --junit-xml path, refused up front when it cannot be written (a usage error, exit 2)."""
    if not path.strip():
        raise UsageError("--junit-xml needs a file name")
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--junit-xml {path} is a directory")
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"--junit-xml {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"--junit-xml {path}: directory {parent} is not writable")
    return target


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`: never half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
