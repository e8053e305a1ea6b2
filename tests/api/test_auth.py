"""API keys, roles and agent binding, without Neo4j."""

from __future__ import annotations

import pytest

from graphsvc import AuthenticationFailed, PermissionDenied, ValidationFailed
from graphsvc.api.auth import Principal, Role, authenticate, parse_api_keys
from graphsvc.api.deps import act_as


def test_keys_parse_to_principals_with_their_roles() -> None:
    keys = parse_api_keys("k1:admin, k2:worker:bot-7 ,k3:viewer")
    assert keys == {
        "k1": Principal("admin", Role.ADMIN),
        "k2": Principal("bot-7", Role.WORKER),
        "k3": Principal("viewer", Role.VIEWER),
    }
    assert keys["k2"].agent == "bot-7" and keys["k1"].agent is None


@pytest.mark.parametrize("text", [",", "k1", "k1:root", ":admin"])
def test_a_key_list_that_grants_nothing_or_is_malformed_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_api_keys(text)


def test_authenticate_needs_a_known_key() -> None:
    keys = parse_api_keys("secret:coordinator:lead")
    assert authenticate(keys, "secret").name == "lead"
    for key in (None, "", "Secret", "secret "):
        with pytest.raises(AuthenticationFailed):
            authenticate(keys, key)


def test_a_worker_key_acts_only_as_its_agent_an_admin_as_any() -> None:
    act_as(Principal("bot-7", Role.WORKER), "bot-7")
    act_as(Principal("admin", Role.ADMIN), "anyone")
    with pytest.raises(PermissionDenied, match="acts only as agent 'bot-7'"):
        act_as(Principal("bot-7", Role.WORKER), "bot-8")
