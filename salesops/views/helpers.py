from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PAGE_SIZE = 25


def paginate(request: HttpRequest, queryset: QuerySet | list, per_page: int = PAGE_SIZE) -> Page:  # type: ignore[type-arg]
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    partial: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render the whole page, or only `partial` of it when htmx asked for that fragment."""
    name = f"{template}#{partial}" if partial and getattr(request, "htmx", False) else template
    return render(request, name, context, status=status)


def apply_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def flash_form_errors(request: HttpRequest, form: Form) -> None:
    """For forms that redirect back to a page: each error as a message, named by its field."""
    from django.contrib import messages

    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


def safe_next(request: HttpRequest, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default
