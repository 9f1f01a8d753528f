"""Satisfaction surveys: the public page a contact reaches from the emailed link (no sign-in; the
signed token is the key), and the staff list of answers."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.org.http import AuthedRequest
from touchpoint.service import access
from touchpoint.service.models import CSAT_LOW, NPS_LOW, SurveyKind
from touchpoint.service.services import surveys as services

PAGE_SIZE = 25


class AnswerForm(StyledForm):
    score = forms.IntegerField(label=gettext_lazy("Score"), min_value=0, max_value=10)
    comment = forms.CharField(label=gettext_lazy("Anything you would like to tell us?"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip


class SurveyFilterForm(StyledForm):
    kind = forms.ChoiceField(label=gettext_lazy("Survey"), required=False, choices=[("", gettext_lazy("All")), *SurveyKind.choices])
    low = forms.BooleanField(label=gettext_lazy("Low scores only"), required=False)
    answered = forms.BooleanField(label=gettext_lazy("Answered only"), required=False)


@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The survey behind an emailed link. A forged, expired or used link says so and changes nothing."""
    try:
        survey = services.survey_from_token(token)
    except services.SurveyTokenError as error:
        return render(request, "service/surveys/answer.html", {"problem": error.messages[0], "code": error.code}, status=400)
    if survey.is_answered:
        return render(request, "service/surveys/answer.html", {"survey": survey, "done": True})
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_answer(token=token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except services.SurveyTokenError as error:
            return render(request, "service/surveys/answer.html", {"problem": error.messages[0], "code": error.code}, status=400)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return render(request, "service/surveys/answer.html", {"survey": survey, "done": True, "thanks": True})
    scores = range(survey.min_score, survey.max_score + 1)
    return render(request, "service/surveys/answer.html", {"survey": survey, "form": form, "scores": scores},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_GET
def survey_list(request: AuthedRequest) -> HttpResponse:
    if not access.may_view_surveys(request.user):
        raise PermissionDenied
    form = SurveyFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    rows = access.visible_surveys(request.user).select_related("customer", "contact", "request")
    if values.get("kind"):
        rows = rows.filter(kind=values["kind"])
    if values.get("low"):
        rows = rows.filter(Q(kind=SurveyKind.CSAT, score__lte=CSAT_LOW) | Q(kind=SurveyKind.NPS, score__lte=NPS_LOW))
    if values.get("answered") or values.get("low"):
        rows = rows.filter(answered_at__isnull=False)
    summary = rows.order_by().aggregate(
        csat=Avg("score", filter=Q(kind=SurveyKind.CSAT)), answered=Count("id", filter=Q(answered_at__isnull=False)),
        sent=Count("id"), promoters=Count("id", filter=Q(kind=SurveyKind.NPS, score__gte=9)),
        detractors=Count("id", filter=Q(kind=SurveyKind.NPS, score__lte=NPS_LOW)),
        nps_answers=Count("id", filter=Q(kind=SurveyKind.NPS, score__isnull=False)),
    )  # fmt: skip
    if summary["nps_answers"]:
        summary["nps"] = round(100 * (summary["promoters"] - summary["detractors"]) / summary["nps_answers"])
    paginator = CappedPaginator(rows.order_by("-sent_at", "-id"), PAGE_SIZE, page=request.GET.get("page", 1))
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "service/surveys/list.html", {"page": page, "form": form, "summary": summary})


urlpatterns: list[URLPattern] = [
    path("surveys/", survey_list, name="survey_list"),
    path("survey/<str:token>/", survey_answer, name="survey_answer"),
]
