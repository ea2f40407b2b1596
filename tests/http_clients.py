"""Client loops run in separate processes by the concurrency tests. No Django here: a
spawned process imports this module on its own."""

import requests

from tests.payloads import minimal_body


def create_many(url: str, key: str, client_number: int, count: int) -> list[tuple[int, str]]:
    """One client process: `count` creates in a row, each with its own requestId."""
    with requests.Session() as session:
        answers = []
        for index in range(count):
            body = minimal_body(integration={"requestId": f"P{client_number}-{index}"})
            response = session.post(url, json=body, headers={"X-API-Key": key}, timeout=60)
            answers.append((response.status_code, response.json().get("ticketNumber", "")))
        return answers
