"""The progress line long commands print on stderr (ganz.core.progress)."""
import io

from ganz.core.progress import Progress, seconds_text


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_plain_stream_gets_one_start_line_with_the_estimate():
    s, clock = io.StringIO(), Clock()
    p = Progress("compressing face.png", stream=s, tty=False, clock=clock).begin(1000, per_step=0.1)
    assert s.getvalue() == "compressing face.png: up to 1000 steps, ~1 min 40 s estimated\n"
    for _ in range(500):
        clock.t += 0.1
        p.update(1)
    p.close()
    assert s.getvalue().count("\n") == 1


def test_estimate_from_measured_steps_when_none_is_given():
    s, clock = io.StringIO(), Clock()
    p = Progress("compressing x", stream=s, tty=False, clock=clock).begin(100)
    clock.t = 5.0  # the first step's warm-up is left out
    p.update(1)
    assert s.getvalue() == ""
    clock.t = 5.5
    p.update(1)
    assert s.getvalue() == "compressing x: up to 100 steps, ~49 s estimated\n"


def test_terminal_line_is_updated_in_place_and_erased():
    s, clock = io.StringIO(), Clock()
    p = Progress("compressing face.png", stream=s, tty=True, clock=clock, every=1.0)
    p.begin(100, per_step=1.0)
    for _ in range(10):
        clock.t += 1.0
        p.update(1)
    text = s.getvalue()
    assert "\n" not in text and text.startswith("\rcompressing face.png: step 0/100, ~1 min 40 s left")
    assert "step 10/100, ~1 min 30 s left" in text
    p.close()
    assert s.getvalue().endswith("\r")


def test_short_runs_say_nothing():
    s = io.StringIO()
    Progress("x", stream=s, tty=False, clock=Clock()).begin(10, per_step=0.1)
    Progress("x", stream=s, tty=True, clock=Clock()).begin(10, per_step=0.1).close()
    assert s.getvalue() == ""


def test_seconds_text():
    assert [seconds_text(v) for v in (4.2, 95, 3725)] == ["4 s", "1 min 35 s", "1 h 02 min"]
