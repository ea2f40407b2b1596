from dataclasses import dataclass

from tickets.models import ActorType


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a partner (through its API key), an agent, or the system."""

    type: str
    label: str
    user: object | None = None
    partner: object | None = None

    @classmethod
    def for_partner(cls, partner) -> "Actor":
        return cls(type=ActorType.PARTNER, label=partner.name, partner=partner)

    @classmethod
    def for_agent(cls, user) -> "Actor":
        return cls(type=ActorType.AGENT, label=user.get_full_name() or user.get_username(), user=user)

    @classmethod
    def system(cls) -> "Actor":
        return cls(type=ActorType.SYSTEM, label="System")
