"""Schemathesis fuzzes /api/v1/openapi.json against a real server process, as nobody, as a
kiosk and as an administrator: no answer may be a 5xx, and every answer must match the
document (status code, content type, body schema). Bounded (a few examples per operation,
about 2 minutes in all on a 2-core machine) and derandomized, so a red run is a real bug."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer, make_server

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
# Who may call what: each identity fuzzes the operations it can reach (the staff one all of
# them, since staff sign-in covers every route a device can't).
PUBLIC = (
    r"^/(healthz|api/v1/(openapi\.json|services|counters|procedures|board|tickets/\{token\}.*"
    r"|dossiers/(public/.*|lookup)|feedback(/\{token\})?))$"
)
KIOSK = r"^/api/v1/(tickets|print-jobs.*|printer-status)$"


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = make_server(tmp_path_factory.mktemp("fuzz") / "instance").start()
    try:
        yield server
    finally:
        server.stop()


def _fuzz(server: LiveServer, workdir: Path, *args: str) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.url}/api/v1/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            "coverage,fuzzing",
            "--max-examples",
            "5",
            "--generation-deterministic",
            # One worker: Hypothesis parses lambdas' source with ast, which is not thread-safe on
            # Python 3.11 ("AST constructor recursion depth mismatch" with several workers).
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--no-color",
            "--output-truncate",
            "true",
            *args,
        ],
        cwd=workdir,  # anything it writes stays in the test's temporary folder
        capture_output=True,
        text=True,
        timeout=150,
    )
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    # A 500 would be logged by the server as an unexpected error, whatever its body said.
    assert "unexpected " not in server.log_text(), server.log_text()[-4000:]


@pytest.mark.timeout(180)
def test_fuzzing_the_public_operations_finds_no_5xx_and_no_schema_break(
    fuzzed_server: LiveServer, tmp_path: Path
) -> None:
    _fuzz(fuzzed_server, tmp_path, "--include-path-regex", PUBLIC)


@pytest.mark.timeout(180)
def test_fuzzing_as_a_kiosk_finds_no_5xx_and_no_schema_break(
    fuzzed_server: LiveServer, tmp_path: Path
) -> None:
    token = fuzzed_server.device("kiosk")["token"]
    _fuzz(
        fuzzed_server,
        tmp_path,
        "--include-path-regex",
        KIOSK,
        "--header",
        f"Authorization: Bearer {token}",
    )


@pytest.mark.timeout(240)
def test_fuzzing_as_an_administrator_finds_no_5xx_and_no_schema_break(
    fuzzed_server: LiveServer, tmp_path: Path
) -> None:
    token = fuzzed_server.staff_token("admin")
    _fuzz(fuzzed_server, tmp_path, "--header", f"Authorization: Bearer {token}")
