"""scripts/run_seeds.py: the seed line is replaced, failures are read from tracebacks, and --load starts and
stops its busy processes."""

import time
from pathlib import Path

import nbformat
import pytest
import run_seeds

ROOT = Path(__file__).resolve().parents[1]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_busy_processes_run_while_inside_and_are_gone_after():
    with run_seeds.busy_processes(2) as pids:
        assert len(pids) == 2 and all(map(_alive, pids))
        time.sleep(0.5)
        ticks = [int(Path(f"/proc/{pid}/stat").read_text().split()[13]) for pid in pids]
        assert all(t > 0 for t in ticks), "the busy processes should be using the CPU"  # utime in ticks
    assert not any(map(_alive, pids))
    with run_seeds.busy_processes(0) as none:
        assert none == []


def test_load_must_not_be_negative(capsys):
    with pytest.raises(SystemExit):
        run_seeds.main(["--load", "-1"])
    assert "--load expects a number of busy processes, 0 or more, got -1" in capsys.readouterr().err


def test_with_seed_replaces_the_one_seed_line():
    setup = nbformat.v4.new_code_cell("import rnncourse\nSEED = 42  # stored\nx = 1")
    nb = nbformat.v4.new_notebook(cells=[setup])
    assert "SEED = 3\n" in run_seeds.with_seed(nb, 3).cells[0].source
    nb.cells.append(nbformat.v4.new_code_cell("SEED = 0"))
    with pytest.raises(ValueError, match="exactly one code cell"):
        run_seeds.with_seed(nb, 3)
