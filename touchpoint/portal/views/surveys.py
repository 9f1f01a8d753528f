"""The customer's satisfaction surveys: the list of those addressed to them, and one survey's page to
answer it (the quarterly NPS 0–10, a request's CSAT 1–5) or to see the answer given."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.portal import selectors
from touchpoint.portal.services import portal_survey_answer
from touchpoint.portal.views.common import PortalRequest, not_found, portal_required
from touchpoint.service.models import Survey

PAGE_SIZE = 20


class SurveyAnswerForm(StyledForm):
    """The score within the survey's own scale; any other value gets the scale's message."""

    score = forms.TypedChoiceField(label=gettext_lazy("Score"), coerce=int, choices=[], widget=forms.RadioSelect)
    comment = forms.CharField(label=gettext_lazy("Anything you would like to tell us?"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scale = range(survey.min_score, survey.max_score + 1)
        message = _("Choose a score from %(low)s to %(high)s.") % {"low": survey.min_score, "high": survey.max_score}
        field = self.fields["score"]
        field.choices = [(value, str(value)) for value in scale]  # type: ignore[attr-defined]
        field.error_messages.update({"required": message, "invalid_choice": message})
        self.scale = scale


def _survey_for(request: PortalRequest, pk: str) -> Survey:
    found = selectors.portal_survey(request.user, pk)
    if found is None:
        raise not_found()
    return found


@portal_required
@require_GET
def survey_list(request: PortalRequest) -> HttpResponse:
    page = Paginator(selectors.portal_surveys(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/surveys.html", {"nav": "surveys", "page": page})


@portal_required
@require_http_methods(["GET", "POST"])
def survey_detail(request: PortalRequest, pk: str) -> HttpResponse:
    survey = _survey_for(request, pk)
    form = SurveyAnswerForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            portal_survey_answer(by=request.user, survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Thank you! Your answer has been recorded."))
            return redirect("portal:survey", pk=survey.pk)
    return render(request, "portal/survey.html", {"nav": "surveys", "survey": survey, "form": form},
                  status=400 if form.errors else 200)  # fmt: skip
