from django import template
from django.core.cache import cache
from django.utils import timezone

from tickets.dashboard import dashboard_for

register = template.Library()


# The figures count the whole open queue (a scan of a few hundred thousand rows at a
# million tickets), so each user's are kept this long rather than counted on every visit.
DASHBOARD_SECONDS = 60


@register.inclusion_tag("admin/tickets/dashboard.html", takes_context=True)
def desk_dashboard(context):
    request = context["request"]
    if not request.user.has_perm("tickets.view_ticket"):
        return {"show": False}
    key = f"desk-dashboard:{request.user.pk}"
    figures = cache.get(key)
    if figures is None:
        figures = {**dashboard_for(request.user), "as_of": timezone.now()}
        cache.set(key, figures, DASHBOARD_SECONDS)
    return {"show": True, **figures}
