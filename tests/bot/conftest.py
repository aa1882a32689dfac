"""Fixtures of the bot's tests in SimCord's emulated Discord."""

import discord
import pytest


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
