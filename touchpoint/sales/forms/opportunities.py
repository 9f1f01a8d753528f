"""Forms of the opportunity pages: create and edit, the list filter, a stage move, the handoff, the team."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, VersionedModelForm, limit_choices
from touchpoint.org.models import User
from touchpoint.sales.models import LostReason, Opportunity, OpportunityRole, Pipeline, Product, Stage

OPPORTUNITY_FORM_FIELDS = [
    "title", "amount", "close_date", "probability", "product", "competitors", "decision_process", "next_step",
    "next_step_date",
]  # fmt: skip


class OpportunityForm(VersionedModelForm):
    class Meta:
        model = Opportunity
        fields = OPPORTUNITY_FORM_FIELDS
        widgets = {
            "close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "next_step_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "decision_process": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, product=products if products is not None else Product.objects.none())
        if not self.instance.pk:
            # A new opportunity takes its stage's default probability.
            self.fields["version"].required = False
            del self.fields["probability"]


class OpportunityFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    stage = forms.ModelChoiceField(label=_("Stage"), required=False, queryset=Stage.objects.none(), empty_label=_("Any stage"))
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Any owner"))
    product = forms.ModelChoiceField(label=_("Product"), required=False, queryset=Product.objects.none(),
                                     empty_label=_("Any product"))  # fmt: skip
    close_month = forms.DateField(label=_("Closing in"), required=False, input_formats=["%Y-%m"],
                                  widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))  # fmt: skip
    open_only = forms.BooleanField(label=_("Open only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"), required=False,
        choices=[("close", _("Closing soonest")), ("-close", _("Closing latest")), ("-amount", _("Largest amount")),
                 ("amount", _("Smallest amount")), ("-updated", _("Recently updated")), ("title", _("Title A→Z"))],
    )  # fmt: skip

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(
            self,
            owner=owners if owners is not None else User.objects.none(),
            stage=Stage.objects.filter(pipeline__is_active=True).select_related("pipeline").order_by("pipeline", "order"),
            product=Product.objects.order_by("code"),
        )


class BoardFilterForm(StyledForm):
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), required=False, queryset=Pipeline.objects.none(), empty_label=None)
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Any owner"))

    def __init__(self, *args: Any, owners: Any = None, pipelines: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners if owners is not None else User.objects.none(),
                      pipeline=pipelines if pipelines is not None else Pipeline.objects.none())  # fmt: skip


class MoveForm(StyledForm):
    """A stage move; the lost reason is asked for when the target stage is a lost one."""

    stage = forms.ModelChoiceField(label=_("Move to"), queryset=Stage.objects.none())
    lost_reason = forms.ChoiceField(label=_("Lost reason"), required=False, choices=[("", "—"), *LostReason.choices])
    lost_detail = forms.CharField(label=_("Lost reason, in words"), required=False, max_length=500)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, opportunity: Opportunity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any stage of the pipeline is accepted here: the service refuses a move that is not allowed,
        # with its own message.
        limit_choices(self, stage=Stage.objects.filter(pipeline_id=opportunity.pipeline_id))


class HandoffForm(StyledForm):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners if owners is not None else User.objects.none())


class TeamMemberForm(StyledForm):
    user = forms.ModelChoiceField(label=_("Colleague"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=OpportunityRole.choices)

    def __init__(self, *args: Any, users: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, user=users if users is not None else User.objects.none())
