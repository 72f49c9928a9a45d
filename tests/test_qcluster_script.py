"""deploy/qcluster.sh, the worker line of `make run` and `make serve`: it stops q2 whole."""

import contextlib
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from gallery import tasks
from gallery.models import Generation

from .conftest import make_generation, process_env, slow
from .harness import QCluster, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), slow]


def term_reached(pid: int) -> bool:
    """Whether SIGTERM has reached the stopped process `pid`: it waits for it, or it is gone
    (a stopped process whose group loses its last parent outside is sent SIGHUP)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    pending = dict(line.split(":\t", 1) for line in status.splitlines())["ShdPnd"]
    return bool(int(pending, 16) & 1 << (signal.SIGTERM - 1))


def test_the_dispatcher_ends_when_q2s_sentinel_stops_before_handing_out_stop_pills(
    simulator, media_root, tmp_path, user
):
    """On a busy machine q2's sentinel may take SIGTERM before it has told its workers to stop:
    the worker running the dispatcher, which takes SIGTERM as "wind down", then waits for a
    stop pill that never comes."""
    bin_dir = Path(sys.executable).parent  # the script runs `python`
    env = process_env(simulator, media_root, PATH=f"{bin_dir}:{os.environ['PATH']}")
    script = QCluster(env, tmp_path / "qcluster.log", command=["bash", "deploy/qcluster.sh"])
    script.start()
    pusher = int(re.search(r"pushing tasks at (\d+)", script.log())[1])
    try:
        simulator.config.slow_rate, simulator.config.slow_seconds = 1.0, 1.0
        generation = make_generation(user)
        tasks.kick()
        wait_until(
            lambda: Generation.objects.filter(
                pk=generation.pk, status=Generation.Status.SUBMITTING
            ).exists(),
            30,
            script.log,
        )
        # The sentinel's stop begins by waiting for its pusher to stop: with the pusher stopped
        # until the script's SIGTERM reaches every process, that SIGTERM ends the sentinel first.
        os.kill(pusher, signal.SIGSTOP)
        script.process.terminate()  # as honcho stops it
        wait_until(lambda: term_reached(pusher), 10, script.log)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pusher, signal.SIGCONT)
        wait_until(lambda: not script.is_running(), 15, script.log)
    finally:
        script.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pusher), signal.SIGKILL)

    assert "SIGKILL" not in script.log(), script.log()
    generation.refresh_from_db()
    assert generation.task_id, "the dispatcher wound down without saving its task id"
