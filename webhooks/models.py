# Outbox deliveries and their attempts arrive with the webhooks issue.
