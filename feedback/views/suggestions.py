"""The suggestion box: anyone drops a note; admins and leaders read the months in which enough
different people wrote."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from salesops.permissions import can, require
from salesops.views.helpers import apply_errors, render_page

from .. import selectors, services
from ..forms import SuggestionForm


@never_cache
def suggestion_box(request: HttpRequest) -> HttpResponse:
    require(request.membership, "suggestion.submit")
    form = SuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.suggestion_submit(
                actor=request.user, org=request.org, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Thank you — your suggestion was put in the box anonymously.")
            )
            return redirect("feedback:suggestion_box", org_slug=request.org.slug)
    reads = can(request.membership, "suggestion.read")
    context = {
        "form": form,
        "reads": reads,
        "months": selectors.suggestion_months(org=request.org) if reads else [],
        "per_day": services.SUGGESTIONS_PER_DAY,
        "threshold": request.org.comment_threshold,
        "may_follow_up": can(request.membership, "followup.manage"),
    }
    return render_page(
        request, "feedback/suggestion_box.html", context, status=400 if form.errors else 200
    )
