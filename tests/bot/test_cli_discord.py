"""`citebot run` and `citebot sync` against a loopback fake of Discord's REST API
(`discord.http.Route.BASE` pointed at 127.0.0.1): the login path and command sync, no network."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import discord
import pytest

import retrieval.service
from bot.cli import main
from tests.conftest import CORPUS, free_port

pytestmark = pytest.mark.slow

BOT_USER = {"id": "111", "username": "citebot", "discriminator": "0", "avatar": None, "bot": True,
            "global_name": None}
APPLICATION = {"id": "222", "name": "citebot", "icon": None, "description": "", "bot_public": True,
               "bot_require_code_grant": False, "owner": {**BOT_USER, "id": "333", "bot": False},
               "verify_key": "00", "flags": 0}


class FakeDiscordREST:
    """Answers the few REST routes login and sync use; records what the bot sent."""

    def __init__(self, token_ok: bool) -> None:
        self.requests: list[tuple[str, str, object]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, payload: object) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                outer.requests.append((self.command, self.path, body))
                if not token_ok:
                    self._reply(401, {"message": "401: Unauthorized", "code": 0})
                elif self.path.endswith("/users/@me"):
                    self._reply(200, BOT_USER)
                elif self.path.endswith("/oauth2/applications/@me"):
                    self._reply(200, APPLICATION)
                elif self.command == "PUT" and "/commands" in self.path:
                    self._reply(200, [{**c, "id": str(900 + i), "application_id": "222", "version": "1"}
                                      for i, c in enumerate(body)])
                else:
                    self._reply(404, {"message": "Unknown route", "code": 0})

            do_GET = do_PUT = do_POST = _handle

            def log_message(self, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/api/v10"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def discord_cli(tmp_path, monkeypatch, embed_model, capsys):
    """Runs `citebot ARGS` in process; restores the logging handlers `run` installs."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(retrieval.service, "build_embed_model", lambda settings: embed_model)
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
    assert set(commands) == {"ask", "summary", "sources", "upload", "remove"}
    assert int(commands["upload"]["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert int(commands["remove"]["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert commands["ask"]["default_member_permissions"] is None
    assert "synced 5 commands to server 444" in err
