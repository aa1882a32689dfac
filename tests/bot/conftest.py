"""Fixtures of the bot's tests in SimCord's emulated Discord."""

from collections.abc import Callable
from pathlib import Path

import discord
import pytest

import retrieval.composition
from bot.cli import main

CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
async def world(simcord_env):
    """Two guilds with a channel each, an admin and a member in each, commands synced."""
    env = simcord_env
    commands = {c.name: c for c in await env.bot.tree.sync()}
    guilds = {}
    for name in ("A", "B"):
        guild = env.create_guild(f"Guild {name}")
        channel = guild.create_text_channel("general")
        admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
        admin = guild.add_member(env.create_user(f"admin{name}"), roles=[admins])
        member = guild.add_member(env.create_user(f"member{name}"))
        guilds[name] = {"guild": guild, "channel": channel, "admin": admin, "member": member}
    return env, commands, guilds


@pytest.fixture
def cli_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embed_model, capsys: pytest.CaptureFixture):
    """`cli_on(corpus, **environment)`: runs `citebot ARGS` in process (sharing the session's
    embedder) on a private data dir over `corpus`, with those settings; returns (exit code, stdout,
    stderr) of each run."""

    def configure(corpus: Path, **environment: str) -> CliRun:
        monkeypatch.setattr(retrieval.composition, "build_embed_model", lambda settings: embed_model)
        monkeypatch.setenv("CITEBOT_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("CITEBOT_CORPUS_DIR", str(corpus))
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)

        def run(*args: str) -> tuple[int, str, str]:
            code = main(list(args))
            captured = capsys.readouterr()
            return code, captured.out, captured.err

        return run

    return configure
