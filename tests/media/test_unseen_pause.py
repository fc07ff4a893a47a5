"""When a camera nobody sees may pause (media/unseen_pause.py ``UnseenWatch``), on a clock the
test sets: the page is told unseen only after ``after`` seconds unseen, and seen the moment
someone may see it again."""

from __future__ import annotations

from media.unseen_pause import UnseenWatch


class Scene:
    def __init__(self, after: float = 10.0) -> None:
        self.visible: set[str] = set()
        self.told: list[tuple[str, bool]] = []
        self.watch = UnseenWatch(after, self.visible.__contains__, self._tell)

    def _tell(self, publisher: str, seen: bool) -> None:
        self.told.append((publisher, seen))


def test_a_camera_unseen_for_the_whole_delay_is_told_once() -> None:
    s = Scene(after=10.0)
    s.watch.check(["site"], 0.0)
    s.watch.check(["site"], 9.9)
    assert s.told == []
    s.watch.check(["site"], 10.0)
    assert s.told == [("site", False)]
    s.watch.check(["site"], 11.0)
    s.watch.check(["site"], 60.0)
    assert s.told == [("site", False)]
    assert s.watch.paused == {"site"}


def test_a_short_spell_unseen_is_not_a_pause() -> None:
    """The speaker view's large tile moves on and back within the delay: nothing told, and
    the delay starts again from the next spell."""
    s = Scene(after=10.0)
    s.watch.check(["site"], 0.0)
    s.visible.add("site")
    s.watch.check(["site"], 8.0)
    s.visible.discard("site")
    s.watch.check(["site"], 9.0)
    s.watch.check(["site"], 18.9)
    assert s.told == []
    s.watch.check(["site"], 19.0)
    assert s.told == [("site", False)]


def test_seen_again_is_told_at_once_by_recheck_or_by_the_next_check() -> None:
    s = Scene(after=1.0)
    s.watch.check(["a", "b"], 0.0)
    s.watch.check(["a", "b"], 1.0)
    assert s.told == [("a", False), ("b", False)]
    s.watch.recheck("a")  # nobody sees it yet: nothing
    assert s.told == [("a", False), ("b", False)]
    s.visible.update({"a", "b"})
    s.watch.recheck("a")  # a slot selected one of a's streams
    assert s.told[-1] == ("a", True)
    s.watch.check(["a", "b"], 1.5)  # b became visible some other way: the tick finds it
    assert s.told[2:] == [("a", True), ("b", True)]
    assert s.watch.paused == set()
    s.watch.recheck("a")
    s.watch.check(["a", "b"], 5.0)
    assert len(s.told) == 4  # nothing more while seen


def test_recheck_of_a_camera_never_paused_tells_nothing() -> None:
    s = Scene(after=1.0)
    s.visible.add("site")
    s.watch.recheck("site")
    s.watch.check(["site"], 0.0)
    assert s.told == []


def test_a_connection_that_ends_ends_its_pause() -> None:
    """The page's new connection sends from the start: its pause is lifted, and a camera
    still unseen is told so again only after the whole delay."""
    s = Scene(after=2.0)
    s.watch.check(["site"], 0.0)
    s.watch.check(["site"], 2.0)
    s.watch.forget("site")
    assert s.told == [("site", False), ("site", True)]
    s.watch.check(["site"], 3.0)
    s.watch.check(["site"], 4.9)
    assert len(s.told) == 2
    s.watch.check(["site"], 5.0)
    assert s.told[-1] == ("site", False)
    s.watch.forget("gone")  # never paused: nothing to lift
    assert len(s.told) == 3


def test_zero_delay_never_pauses() -> None:
    s = Scene(after=0.0)
    s.watch.check(["site"], 0.0)
    s.watch.check(["site"], 1000.0)
    assert s.told == [] and not s.watch.enabled
