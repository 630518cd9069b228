"""The transcribed tables agree with the seed text they were copied from."""

import re

import pytest

from cam_core.common.paper import paper_table, paper_value
from cam_core.paths import repo_root
from cam_core.validate import InputError

SEED = repo_root().parent / "shared" / "seeds" / "002_35070bee9941677a.txt"


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"paper notes not beside this checkout: {SEED}")
    return SEED.read_text()


def seed_row(text: str, label: str, table: int) -> list[float]:
    """Numbers on the tab-separated seed line starting with ``label``, below "Table <table>."."""
    section = text[text.index(f"Table {table}.") :]
    for line in section.splitlines():
        cells = line.split("\t")
        if cells[0].strip("★ ").strip() == label or (len(cells) > 1 and cells[1] == label):
            return [
                float(re.sub(r"[<>/u%]", "", c)) for c in cells if re.fullmatch(r"[<u>/\d.%]+", c)
            ]
    raise AssertionError(f"{label!r} not found in the seed")


@pytest.mark.parametrize(
    ("table", "key_column", "label", "columns"),
    [
        (1, "network", "GoogLeNet-GAP", ["top1_error", "top5_error"]),
        (1, "network", "AlexNet*-GAP", ["top1_error", "top5_error"]),
        (1, "network", "GoogLeNet-GMP", ["top1_error", "top5_error"]),
        (2, "method", "VGGnet-GAP", ["top1_error", "top5_error"]),
        (2, "method", "Backprop on AlexNet", ["top1_error", "top5_error"]),
        (3, "method", "GoogLeNet-GAP (heuristics)", ["top5_error"]),
        (4, "method", "GoogLeNet-GAP on crop", ["accuracy"]),
    ],
)
def test_cells_match_seed(seed_text, table, key_column, label, columns):
    row = paper_table(table).set_index(key_column).loc[label]
    assert [float(row[c]) for c in columns] == seed_row(seed_text, label, table)


def test_table5_row_matches_seed(seed_text):
    t5 = paper_table(5)
    gap = t5[t5.features == "gap from GoogLeNet-GAP"].set_index("dataset")["accuracy"]
    assert list(gap.round(2)) == seed_row(seed_text, "gap from GoogLeNet-GAP", 5)
    assert gap["Caltech256"] == 78.07


def test_table_shapes_and_headline_values():
    assert len(paper_table(1)) == 9 and len(paper_table(2)) == 10 and len(paper_table(3)) == 6
    assert len(paper_table(4)) == 8 and len(paper_table(5)) == 24
    t2 = paper_table(2).set_index("method")
    assert t2.loc["GoogLeNet-GAP", "top1_error"] == 56.40
    assert paper_value("cub_box_accuracy_iou05") == 41.0
    assert paper_value("vqa_overall_accuracy") == 55.89


def test_bad_table_number_names_argument():
    with pytest.raises(InputError, match=r"^number: expected a paper table number in 1\.\.5"):
        paper_table(6)
    with pytest.raises(InputError, match=r"^key: expected one of"):
        paper_value("no_such_number")


def test_na_text_is_kept_and_only_empty_cells_are_missing(tmp_path, monkeypatch):
    # the real file: Table 4 prints "n/a" for methods without annotation; it stays text
    t4 = paper_table(4).set_index("method")
    assert t4.loc["GoogLeNet-GAP on full image", "annotation"] == "n/a"
    assert list(paper_table(4)["annotation"]).count("n/a") == 3
    assert t4["annotation"].notna().all() and t4.loc["DPD", "accuracy"] == 51.0
    # a transcription with every default pandas NA word: only the empty cell is missing
    folder = tmp_path / "data" / "paper"
    folder.mkdir(parents=True)
    (folder / "table4.csv").write_text(
        "method,annotation,accuracy\na,n/a,1.5\nb,NA,2\nc,null,\nd,,4\ne,N/A,5\nf,None,6\n"
    )
    monkeypatch.setenv("CAM_REPRO_ROOT", str(tmp_path))
    t = paper_table(4)
    assert t["annotation"].tolist()[:3] == ["n/a", "NA", "null"]
    assert t["annotation"].tolist()[4:] == ["N/A", "None"]
    assert t["annotation"].isna().tolist() == [False, False, False, True, False, False]
    assert t["accuracy"].isna().tolist() == [False, False, True, False, False, False]
    assert t["accuracy"].dtype == "float64" and t["accuracy"].sum() == 18.5
    # a word in a number column is an error, not a silent NaN
    (folder / "table4.csv").write_text("method,annotation,accuracy\na,n/a,1.5\nb,BBox,n/a\n")
    with pytest.raises(InputError, match=r"^table4.csv column 'accuracy': expected numbers.*"
                       r"got 'n/a' in data row 2$"):  # fmt: skip
        paper_table(4)
