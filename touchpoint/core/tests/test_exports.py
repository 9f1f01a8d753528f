import io

import pytest
from openpyxl import load_workbook

from touchpoint.core.exports import csv_response, neutralise, xlsx_response


@pytest.mark.parametrize("value", ["=1+1", "+86138", "-2", "@SUM(A1)", "＝HYPERLINK()", "＋1", "－1", "＠x", "\tcmd", "\rcmd"])
def test_formula_prefixes_including_full_width_ones_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["华泰证券", "13812345678", "a=b", ""])
def test_ordinary_text_is_left_alone(value):
    assert neutralise(value) == value


def test_numbers_stay_numbers():
    assert neutralise(42) == 42


def test_csv_export_starts_with_a_bom_and_neutralises_cells():
    response = csv_response("customers", ["名称"], [["=cmd|' /C calc'!A0"], ["华泰"]])
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert "'=cmd" in body
    assert "华泰" in body


def test_excel_export_writes_formulas_as_text():
    response = xlsx_response("customers", ["名称"], [["=1+1"], ["＠SUM(A1)"]])
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "'=1+1"
    assert sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "'＠SUM(A1)"
