"""API test helpers shared by the apps' API tests: a token client per role, JSON calls, errors."""

import json

from django.test import Client

from salesops.services import accounts


def api(world, role: str) -> Client:
    """A client holding a fresh token of `role` in `world.org` ("outsider": of `world.other_org`)."""
    if role == "outsider":
        user, org = world.outsider.user, world.other_org
    else:
        user, org = world.user(role), world.org
    _token, secret = accounts.api_token_create(user=user, org=org, name="t")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, path: str, data: object = None):
    return client.post(
        path, json.dumps({} if data is None else data), content_type="application/json"
    )


def patch(client: Client, path: str, data: object):
    return client.patch(path, json.dumps(data), content_type="application/json")


def error_of(response, status: int) -> dict:
    """The one error shape of the API, with its code and message."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"]
    assert body["error"]["message"]
    return body["error"]
