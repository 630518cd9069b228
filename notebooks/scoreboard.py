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
# Which of the paper's claims hold on the profile this book was built from: every claim of
# every table and figure with its verdict and 95% interval, a picture of the paper's numbers
# against this project's, and one row per item with its status. It is read from
# `results/<profile>/claims.csv` and `scoreboard.csv`, which `cam-repro run` builds from the
# claims and status record each notebook writes.
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
from IPython.display import HTML, Markdown

from cam_core.common import profiles, viz
from cam_core.report import scoreboard as report_scoreboard

params = profiles.from_cell("scoreboard", globals())
board = report_scoreboard.read_scoreboard(params["out_dir"])
claims = report_scoreboard.read_claims(params["out_dir"])
description = profiles.load_profile(params["profile"])["description"]
Markdown(f"**This book was built from the `{params['profile']}` profile.** {description}")

# %% [markdown]
# ## Every claim, with its verdict
#
# How many of the claims checked on this profile got each verdict, then each claim: the
# paper's number, this project's with its 95% interval, and the verdict with the rule that
# decided it. Each item links to its page.

# %% tags=["hide-input"]
report_scoreboard.verdict_counts(claims)

# %% tags=["hide-input"]
HTML(report_scoreboard.claims_table_html(claims))

# %% [markdown]
# ## The paper's numbers against this project's
#
# Every claim with a number in the paper and a measured value here: the paper's value
# (x) against this project's (y) with its 95% interval, coloured by verdict; on the dashed
# diagonal the two agree. Units differ between claims (percent, points, ratios).

# %% tags=["hide-input"]
viz.show(report_scoreboard.claims_figure(claims))

# %% [markdown]
# ## Items
#
# One row per table and figure: its status at this scale, the headline metric with the
# paper's value and this project's, and its claims counted by verdict.

# %% tags=["hide-input"]
left = {"text-align": "left", "white-space": "normal"}
report_scoreboard.scoreboard_view(board).style.set_properties(**left).set_table_attributes(
    'class="dataframe"'
)

# %% tags=["hide-input"]
Markdown(report_scoreboard.words_legend())

# %% [markdown]
# Values are percent where the metric says so; an empty *paper value* means the paper's
# figure is qualitative. The claims being tested, item by item:

# %% tags=["hide-input"]
board[["item", "title", "claim"]].set_index("item").style.set_properties(
    **left
).set_table_attributes('class="dataframe"')
