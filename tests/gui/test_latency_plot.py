"""The History window's latency plot, fed from a real SQLite history: per turn release → first audio
and release → final transcript, two series with a legend, and a tooltip (the accessible description)
that names both; a reply's timing tooltip lists the final transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage, QPalette

from desktop_assistant.assistant.events import TurnTimings
from desktop_assistant.history.store import HistoryStore
from desktop_assistant.messages import MessageStatus
from desktop_assistant.ui.chat_view import ChatView, breakdown, timing_line
from desktop_assistant.ui.history_source import HistorySource
from desktop_assistant.ui.latency_plot import GOAL_MS, LEGEND_H, LatencyPlot, LatencyPoint

pytestmark = pytest.mark.gui

#: (source of the question, the reply's timings)
TURNS = [
    ("voice", TurnTimings(stt_ms=200.0, first_audio_ms=900.0, total_ms=3000.0, final_transcript_ms=40.0,
                          partials=5, early="hit")),
    ("typed", TurnTimings(llm_first_token_ms=300.0, first_audio_ms=1200.0, total_ms=2500.0)),
    ("voice", TurnTimings(stt_ms=300.0, total_ms=800.0, final_transcript_ms=700.0, partials=2, early="miss")),
    ("voice", TurnTimings(stt_ms=250.0, first_audio_ms=1900.0, total_ms=4000.0, final_transcript_ms=350.0,
                          partials=7, early="miss")),
]


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = HistoryStore.open(tmp_path / "history.db")
    conversation = s.conversation_for_turn("assistant", 1e9)
    for source, timings in TURNS:
        s.add_message(conversation, "user", "a question", source=source)
        reply = s.add_message(conversation, "assistant", "", status=MessageStatus.STREAMING)
        failed = timings.first_audio_ms is None
        s.update_message(reply, text="an answer", status=MessageStatus.FAILED if failed else MessageStatus.COMPLETE,
                         error="network" if failed else None, **timings.stored())
    s.add_message(conversation, "assistant", "no timings")  # not a turn's reply: not plotted
    yield s
    s.close()


def _near(image: QImage, x: float, y: float, color: QColor, radius: int = 1) -> bool:
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = image.pixelColor(round(x) + dx, round(y) + dy)
            if abs(c.red() - color.red()) + abs(c.green() - color.green()) + abs(c.blue() - color.blue()) < 40:
                return True
    return False


def test_the_plot_shows_first_audio_and_final_transcript_per_turn(qtbot: Any, store: Any) -> None:
    points = HistorySource(store).latency_points()
    assert [(p.first_audio_ms, p.final_transcript_ms) for p in points] == [
        (t.first_audio_ms, t.final_transcript_ms) for _, t in TURNS]
    plot = LatencyPlot()
    qtbot.addWidget(plot)
    plot.resize(400, 140)
    plot.set_points(points)
    assert plot.series("first_audio_ms") == [900.0, 1200.0, None, 1900.0]
    assert plot.series("final_transcript_ms") == [40.0, None, 700.0, 350.0]
    tip = plot.toolTip()
    assert tip == ("4 turns; first audio: median 1.20 s, worst 1.90 s (3 turns); "
                   "final transcript: median 0.35 s, worst 0.70 s (3 turns)")
    assert plot.accessibleDescription() == tip
    assert "final transcript" in plot.accessibleName()

    image = plot.grab().toImage()
    pal = plot.palette()
    first_colour, final_colour = pal.color(QPalette.ColorRole.Highlight), pal.color(QPalette.ColorRole.Text)
    left, top_y, right, bottom = 40.0, 8.0 + LEGEND_H, plot.width() - 8.0, plot.height() - 18.0
    top = max(GOAL_MS * 1.2, 1900.0 * 1.1)
    step = (right - left) / 3

    def at(i: int, ms: float) -> tuple[float, float]:
        return left + step * i, bottom - (bottom - top_y) * ms / top

    for i, (_, timings) in enumerate(TURNS):  # each turn's dot of each series it has, in its colour
        if timings.first_audio_ms is not None:
            assert _near(image, *at(i, timings.first_audio_ms), first_colour), ("first audio", i)
        if timings.final_transcript_ms is not None:
            assert _near(image, *at(i, timings.final_transcript_ms), final_colour), ("final transcript", i)
    # the legend, above the frame: a line sample in each series' colour
    legend = [image.pixelColor(x, y) for x in range(int(left), int(right)) for y in range(8, int(top_y))]
    assert any(_same(c, first_colour) for c in legend) and any(_same(c, final_colour) for c in legend)


def _same(a: QColor, b: QColor) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 40


def test_an_empty_history_says_so(qtbot: Any, tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "empty.db")
    try:
        plot = LatencyPlot()
        qtbot.addWidget(plot)
        plot.set_points(HistorySource(store).latency_points())
    finally:
        store.close()
    assert plot.points == [] and plot.toolTip() == "No spoken turns yet"
    plot.set_points([LatencyPoint("01 Mar 12:00", None, 30.0)])
    assert plot.toolTip() == "1 turns; final transcript: median 0.03 s, worst 0.03 s"


def test_a_reply_tooltip_lists_the_final_transcript(qtbot: Any, store: Any) -> None:
    conversation = store.conversation_for_turn("assistant", 1e9)
    reply = store.recent_messages(conversation, 20)[1]
    assert reply.final_transcript_ms == 40.0
    assert "final transcript 0.04 s: from the end of your question to its final transcript" in breakdown(
        reply.timings())
    assert timing_line(reply.timings()) == "speech 0.20 s · voice 0.90 s"  # the line under it is unchanged
    view = ChatView()
    qtbot.addWidget(view)
    view.add_message("assistant", reply.text, status=reply.status, timings=reply.timings())
    assert "final transcript 0.04 s" in view.bubbles[-1].meta.toolTip()
    assert "final transcript" not in breakdown(TurnTimings(first_audio_ms=900.0).as_dict())
