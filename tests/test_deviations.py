"""The "What differs from the paper" table: every row and every cpu stand-in is shown."""

from html import escape

import pytest

from cam_core.common import deviations, profiles
from cam_core.validate import InputError


def test_every_deviation_and_stand_in_is_in_the_table():
    text = deviations.deviations_markdown()
    for d in deviations.DEVIATIONS:
        assert escape(d.here) in text and escape(d.paper) in text
    for item in profiles.item_names():
        assert escape(profiles.item_info(item)["stand_in"]) in text
    assert text.count("<tr>") == len(deviations.DEVIATIONS) + 1 + len(profiles.item_names()) + 1


def test_a_deviation_names_its_area():
    with pytest.raises(InputError, match="^area: "):
        deviations.Deviation("training", "all", "a", "b", "c")
