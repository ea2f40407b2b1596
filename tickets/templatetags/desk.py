from django import template

from tickets.dashboard import dashboard_for

register = template.Library()


@register.inclusion_tag("admin/tickets/dashboard.html", takes_context=True)
def desk_dashboard(context):
    request = context["request"]
    if not request.user.has_perm("tickets.view_ticket"):
        return {"show": False}
    return {"show": True, **dashboard_for(request.user)}
