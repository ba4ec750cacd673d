"""A PostgreSQL server of the test's own (initdb in a temporary folder, a free loopback port, its unix socket in
that folder), so a test can stop and restart it without disturbing the shared server other tests use.

    with private_postgres() as postgres:
        postgres.url          # postgresql+psycopg://postgres@127.0.0.1:<port>/postgres
        postgres.stop(); postgres.start()

PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user and its commands run
through `runuser`. Without the binaries the test is skipped (failed with REQUIRE_SERVICES set). The server is
stopped (immediate mode) and its folder removed when the block ends, whatever happened (pg_ctl detaches it, so
only a test process killed outright would leave one behind, in a /tmp/faults-pg-* folder)."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.cafe.processes import free_port

COMMAND_TIMEOUT = 30


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    def __init__(self, bin_dir: Path, directory: Path, run_as: str | None):
        self.bin_dir, self.directory, self.run_as = bin_dir, directory, run_as
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                               f"\n{self.log_tail()}")

    def init(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")

    def start(self) -> None:
        """Start and wait until it accepts connections (pg_ctl -w)."""
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.directory} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50 "
                   "-c shared_buffers=16MB")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "20", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop it: "fast" ends every open connection (as a restart for maintenance does) and waits until down."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "20", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no PostgreSQL log)"


@contextmanager
def private_postgres():
    """A fresh, started PostgreSQL of our own; stopped and removed afterwards. See the module's docstring."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        from tests.conftest import service_missing

        service_missing("PostgreSQL's server binaries are not installed (apt-get install postgresql)")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            from tests.conftest import service_missing

            service_missing("running as root needs a `postgres` user to own a private PostgreSQL")
        run_as = "postgres"
    directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    if run_as:
        shutil.chown(directory, run_as, run_as)
    postgres = PrivatePostgres(bin_dir, directory, run_as)
    try:
        postgres.init()
        postgres.start()
        yield postgres
    finally:
        if postgres.running:
            with suppress(RuntimeError, subprocess.TimeoutExpired):
                postgres.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
