"""`citebot run` and `citebot sync` against a loopback fake of Discord's REST API
(`discord.http.Route.BASE` pointed at 127.0.0.1): the login path and command sync, no network."""

import logging

import discord
import pytest

import retrieval.composition
from bot.cli import main
from harness.llama_server import free_port
from tests.support.loopback import LoopbackServer, Reply, json_reply
from tests.support.services import CORPUS

pytestmark = pytest.mark.slow

BOT_USER = {"id": "111", "username": "citebot", "discriminator": "0", "avatar": None, "bot": True,
            "global_name": None}
APPLICATION = {"id": "222", "name": "citebot", "icon": None, "description": "", "bot_public": True,
               "bot_require_code_grant": False, "owner": {**BOT_USER, "id": "333", "bot": False},
               "verify_key": "00", "flags": 0}


class FakeDiscordREST(LoopbackServer):
    """Answers the few REST routes login and sync use."""

    def __init__(self, token_ok: bool) -> None:
        super().__init__(self._respond)
        self._token_ok = token_ok
        self.base = f"{self.url}/api/v10"

    def _respond(self, method: str, path: str, body: object) -> Reply:
        if not self._token_ok:
            return json_reply(401, {"message": "401: Unauthorized", "code": 0})
        if path.endswith("/users/@me"):
            return json_reply(200, BOT_USER)
        if path.endswith("/oauth2/applications/@me"):
            return json_reply(200, APPLICATION)
        if method == "PUT" and "/commands" in path:
            return json_reply(200, [{**c, "id": str(900 + i), "application_id": "222", "version": "1"}
                                    for i, c in enumerate(body)])
        return json_reply(404, {"message": "Unknown route", "code": 0})


@pytest.fixture
def discord_cli(tmp_path, monkeypatch, embed_model, capsys):
    """Runs `citebot ARGS` in process; restores the logging handlers `run` installs."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(retrieval.composition, "build_embed_model", lambda settings: embed_model)
    monkeypatch.setenv("CITEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CITEBOT_CORPUS_DIR", str(CORPUS))
    monkeypatch.delenv("ASK_CHANNEL_IDS", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, base: str | None = None, token: str | None = "token") -> tuple[int, str]:
        if token is None:
            monkeypatch.delenv("DISCORD_TOKEN", raising=False)
        else:
            monkeypatch.setenv("DISCORD_TOKEN", token)
        if base is not None:
            monkeypatch.setattr(discord.http.Route, "BASE", base)
        code = main(list(args))
        return code, capsys.readouterr().err

    return run


def test_run_without_a_token_is_one_line(discord_cli):
    code, err = discord_cli("run", token=None)
    assert code == 2
    assert err.strip().splitlines() == [
        "error: DISCORD_TOKEN is not set (in the environment or .env); `citebot chat` runs the terminal session instead"
    ]


def test_a_rejected_token_is_one_line(discord_cli):
    fake = FakeDiscordREST(token_ok=False)
    try:
        code, err = discord_cli("run", base=fake.base, token="not-a-real-token")
    finally:
        fake.close()
    assert code == 1
    assert "Discord rejected DISCORD_TOKEN" in err and "Traceback" not in err
    assert fake.requests[0][:2] == ("GET", "/api/v10/users/@me")


def test_unreachable_discord_is_one_line(discord_cli):
    code, err = discord_cli("run", base=f"http://127.0.0.1:{free_port()}/api/v10")
    assert code == 1 and "cannot reach Discord" in err and "Traceback" not in err


def test_sync_registers_every_command_with_admin_defaults(discord_cli):
    fake = FakeDiscordREST(token_ok=True)
    try:
        code, err = discord_cli("sync", "--guild", "444", base=fake.base)
    finally:
        fake.close()
    assert code == 0, err
    method, path, body = fake.requests[-1]
    assert (method, path) == ("PUT", "/api/v10/applications/222/guilds/444/commands")
    commands = {c["name"]: c for c in body}
    admin_only_commands = {"upload", "remove", "feed", "refresh", "digest-schedule", "digest-unschedule", "gaps"}
    assert set(commands) == {"ask", "summary", "sources", "digest"} | admin_only_commands
    for admin_only in admin_only_commands:
        assert int(commands[admin_only]["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert commands["ask"]["default_member_permissions"] is None
    assert "synced 11 commands to server 444" in err
