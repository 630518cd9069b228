# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scoreboard
#
# One row per table and figure of the paper: what this project finds on the profile this
# book was built from, the headline metric, this project's value beside the paper's, and
# whether the paper's claim holds here. It is read from `results/<profile>/scoreboard.csv`,
# which `cam-repro run` builds from the status record each notebook writes.
#
# *status* is decided in one place (`cam_core.common.verdicts.status_word`) from the item's
# claims and the scale; the words each scale can use are listed below the table.

# %% tags=["parameters", "hide-input"]
profile = "cpu"  # smoke, cpu or full (src/cam_core/profiles.yaml)
data_root = None  # unused here; every notebook takes it
out_dir = None  # None: results/<profile>
device = None  # unused here
seed = None  # unused here

# %% tags=["hide-input"]
from IPython.display import Markdown

from cam_core.common import profiles
from cam_core.report import scoreboard as report_scoreboard

params = profiles.from_cell("scoreboard", globals())
board = report_scoreboard.read_scoreboard(params["out_dir"])
description = profiles.load_profile(params["profile"])["description"]
Markdown(f"**This book was built from the `{params['profile']}` profile.** {description}")

# %% tags=["hide-input"]
left = {"text-align": "left", "white-space": "normal"}
report_scoreboard.scoreboard_view(board).style.set_properties(**left).set_table_attributes(
    'class="dataframe"'
)

# %% tags=["hide-input"]
board.value_counts("status").to_frame("items")

# %% tags=["hide-input"]
Markdown(report_scoreboard.words_legend())

# %% [markdown]
# Values are percent where the metric says so; an empty *paper value* means the paper's
# figure is qualitative. The claims being tested, item by item:

# %% tags=["hide-input"]
board[["item", "title", "claim"]].set_index("item").style.set_properties(
    **left
).set_table_attributes('class="dataframe"')
