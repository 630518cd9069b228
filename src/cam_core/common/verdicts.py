"""The book's words: claim verdicts and item statuses by scale, decided in one place."""

from collections.abc import Sequence

from cam_core.validate import fail

__all__ = ["VERDICTS", "JUDGED", "FULL_STATUSES", "CPU_STATUSES", "SMOKE_STATUS", "NOT_RUN"]
__all__ += ["COVERAGE", "NOT_BUILT", "status_word"]

VERDICTS = ("holds", "does not hold", "not distinguishable", "not tested")
JUDGED = VERDICTS[:3]
PROFILES = ("smoke", "cpu", "full")
CPU_STATUSES = tuple(
    f"{w} at laptop scale" for w in ("holds", "partly holds", "does not hold", "not tested")
)
SMOKE_STATUS = "ran"
NOT_RUN = "not run"  # no result record at this profile (never run, or its run failed)
# What a run covers: the whole item, some of its rows or panels, or nothing yet.
COVERAGE = ("complete", "partial", "not built")
NOT_BUILT = "not built"
FULL_STATUSES = ("reproduced", "partly reproduced", "not reproduced", NOT_RUN)


def status_word(
    profile: str, verdicts: Sequence[str], headline_within_tolerance: bool | None
) -> str:
    """The item's word in the book from its claims' verdicts and the run profile: the one
    place where the book's words are chosen.

    A claim "not tested" counts as not holding. full: "reproduced" when every claim holds and
    the headline is within tolerance (None: the item has no toleranced headline), all hold
    but the headline is outside it -> "partly reproduced", some hold -> "partly reproduced",
    none hold -> "not reproduced", no claims or all "not tested" -> "not run". cpu: the same
    counts give "holds / partly holds / does not hold at laptop scale", and no claims or all
    "not tested" give "not tested at laptop scale"; the headline is not compared with the
    paper's. smoke: always "ran".
    """
    if profile not in PROFILES:
        fail("profile", f"one of {', '.join(PROFILES)}", repr(profile))
    for i, verdict in enumerate(verdicts):
        if verdict not in VERDICTS:
            fail(f"verdicts[{i}]", f"one of {', '.join(VERDICTS)}", repr(verdict))
    if headline_within_tolerance is not None and not isinstance(headline_within_tolerance, bool):
        fail("headline_within_tolerance", "True, False or None", repr(headline_within_tolerance))
    if profile == "smoke":
        return SMOKE_STATUS
    words = FULL_STATUSES if profile == "full" else CPU_STATUSES
    holding = sum(v == "holds" for v in verdicts)
    if all(v == "not tested" for v in verdicts):  # also: no claims at all
        return words[3]
    if holding == len(verdicts):
        if profile == "full" and headline_within_tolerance is False:
            return words[1]
        return words[0]
    return words[1] if holding else words[2]
