"""Result tables print as aligned text and display as HTML tables (issue 15, item 5: tables as tables)."""

import pytest

from lofi_utils.tables import Table


def test_a_table_is_its_text_and_an_html_table():
    t = Table(["model", "test MSE"], [["RF(2p)", 0.985], ["LoFi", "0.855"]], title="n = 1000", notes="Var y = 1")
    assert str(t).splitlines() == ["n = 1000", "model   test MSE", "RF(2p)     0.985", "LoFi       0.855", "Var y = 1"]
    assert "LoFi" in t and repr(t) == str(t) and t.rows[0] == ("RF(2p)", "0.985")
    html = t._repr_html_()
    assert html.count("<tr>") == 3 and "<caption>n = 1000</caption>" in html and "<th>test MSE</th>" in html
    assert '<td style="text-align:right">0.855</td>' in html and "Var y = 1" in html


def test_cells_are_escaped_and_shapes_checked():
    assert "&lt;b&gt;" in Table(["<b>"], [["x"]])._repr_html_()
    with pytest.raises(ValueError, match=r"row 1 has 1 cells for 2 columns \['a', 'b'\]"):
        Table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="at least one column"):
        Table([], [])
