"""The desk's three roles as Django groups, created by `load_reference_data`.

What a role may do is its permissions; which tickets it sees is its support groups
(tickets.selectors.tickets_visible_to): an agent those of the groups they belong to, a
supervisor also those of the groups they supervise, an administrator all of them."""

from django.contrib.auth.models import Group, Permission

AGENT = "Agent"
SUPERVISOR = "Supervisor"
ADMINISTRATOR = "Administrator"

# Agents see customers through their tickets only, never as a list of everyone's details.
_AGENT_PERMISSIONS = [
    "tickets.view_ticket",
    "tickets.change_ticket",  # work a ticket: reply, note, attach, status, assign
    "tickets.view_comment",
    "tickets.add_comment",
    "tickets.view_attachment",
    "tickets.add_attachment",
    "tickets.view_ticketevent",
    "webhooks.view_delivery",
    "webhooks.view_attempt",
]
_SUPERVISOR_PERMISSIONS = [
    *_AGENT_PERMISSIONS,
    "tickets.view_supportgroup",
    "tickets.view_service",
    "tickets.view_slapolicy",
    "tickets.view_businesscalendar",
    "tickets.view_holiday",
    "webhooks.change_delivery",  # redeliver
]
# Everything in the desk's own apps, and the people who use it.
_ADMINISTRATOR_APPS = ["tickets", "apikeys", "webhooks", "omnichannel"]
_ADMINISTRATOR_EXTRA = ["auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group"]

ROLE_PERMISSIONS = {AGENT: _AGENT_PERMISSIONS, SUPERVISOR: _SUPERVISOR_PERMISSIONS}


def _permissions(names: list[str]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def ensure_roles() -> list[str]:
    """Create the three groups, or reset their permissions to these; returns the names created."""
    created = []
    for name, permission_names in ROLE_PERMISSIONS.items():
        group, was_created = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(permission_names))
        if was_created:
            created.append(name)
    administrators, was_created = Group.objects.get_or_create(name=ADMINISTRATOR)
    administrators.permissions.set(
        [
            *Permission.objects.filter(content_type__app_label__in=_ADMINISTRATOR_APPS),
            *_permissions(_ADMINISTRATOR_EXTRA),
        ]
    )
    if was_created:
        created.append(ADMINISTRATOR)
    return created


def sees_every_ticket(user) -> bool:
    # Kept on the user object, as Django keeps its permission cache there: a console page
    # asks several times (the list, its filters), and request.user lives for one request.
    if not hasattr(user, "_sees_every_ticket"):
        user._sees_every_ticket = user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists()
    return user._sees_every_ticket
