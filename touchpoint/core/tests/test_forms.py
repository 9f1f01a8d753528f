from django import forms

from touchpoint.core.forms import FastSelect, StyledForm


class Pick(StyledForm):
    fruit = forms.ChoiceField(choices=[("a", "苹果"), ("b", "<b>boom</b>"), ('"q', "quote")])
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")])


def test_selects_render_in_one_pass_with_the_selected_option():
    form = Pick(data={"fruit": "b", "many": ["x", "y"]})
    assert isinstance(form.fields["fruit"].widget, FastSelect)
    html = str(form["fruit"])
    assert '<option value="b" selected>&lt;b&gt;boom&lt;/b&gt;</option>' in html
    assert '<option value="&quot;q">quote</option>' in html
    assert 'class="form-select"' in html
    many = str(form["many"])
    assert "multiple" in many
    assert many.count(" selected>") == 2


def test_the_fast_select_matches_djangos_markup_for_options():
    plain = forms.Select(choices=[("1", "一")]).render("n", "1")
    fast = FastSelect(choices=[("1", "一")]).render("n", "1")
    assert "".join(plain.split()) == "".join(fast.split())
