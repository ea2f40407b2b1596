from celery import shared_task
from django.utils import timezone

from tickets.sla_notifications import notify_at_risk
from tickets.sla_sweep import sweep


@shared_task(name="tickets.tasks.sweep_sla", ignore_result=True)
def sweep_sla() -> dict:
    """Every minute (beat): mark breaches, warn about tickets at risk."""
    result = sweep(now=timezone.now())
    notify_at_risk(result.at_risk)
    return {
        "responseBreached": len(result.response_breached),
        "resolutionBreached": len(result.resolution_breached),
        "atRisk": len(result.at_risk),
    }
