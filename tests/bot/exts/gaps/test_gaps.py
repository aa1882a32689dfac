"""/gaps (bot/exts/gaps/gaps.py, bot/gaps.py, BotStore.gaps): the questions the articles did not
answer or whose answers got 👎, grouped by what they asked about, per server, admins only."""

import pytest

from bot.exts.ask.views import VOTE_DOWN_ID

pytestmark = pytest.mark.slow


async def test_gaps_group_abstained_and_downvoted_questions_with_counts_per_server(world):
    env, commands, guilds = world
    a, b = guilds["A"], guilds["B"]
    for question in ("What did Brazil say about the drones?", "Why is Brazil sending armored vehicles?"):
        unanswered = await a["member"].slash(a["channel"], "ask", question=question)
        assert "none of the closest articles mentions Brazil" in unanswered.response.embeds[0].description
    answered = await a["member"].slash(a["channel"], "ask", question="Who denied the request?")
    assert answered.response.embeds[0].fields, "answered, with citations"
    voted = await a["member"].click(answered.response, custom_id=VOTE_DOWN_ID)
    await a["member"].submit_modal(voted, {})
    await b["member"].slash(b["channel"], "ask", question="What did Argentina say about the drones?")

    gaps = await a["admin"].slash(a["channel"], "gaps")
    assert gaps.ephemeral
    [embed] = gaps.response.embeds
    assert embed.title == "Coverage gaps · last 30 days"
    lines = embed.description.splitlines()
    assert lines[0] == "**Brazil** · 2 questions (2 unanswered)", "what no article mentions, with its count"
    assert lines[1:3] == ["  `Why is Brazil sending armored vehicles?`", "  `What did Brazil say about the drones?`"]
    assert lines[3] == "**denied request** · 1 question (1 👎)", "a 👎'd answer under what it asked about"
    assert "Argentina" not in embed.description, "guild B's questions never reach guild A"

    elsewhere = await b["admin"].slash(b["channel"], "gaps", days=7)
    [shown] = elsewhere.response.embeds
    assert shown.title == "Coverage gaps · last 7 days"
    assert shown.description.splitlines()[0] == "**Argentina** · 1 question (1 unanswered)"
    assert "Brazil" not in shown.description and "denied" not in shown.description

    a["guild"].set_command_permissions(commands["gaps"], {a["member"]: True})
    refused = await a["member"].slash(a["channel"], "gaps")
    assert refused.ephemeral and refused.response.content == (
        "Only server admins (Manage Server, or an admin role) can see the coverage gaps.")


# Three days of virtual time run the bot's periodic tasks hundreds of times: about 3.5 s of the
# default 5 s settle budget on a quiet machine, and over it on a loaded CI runner (seen once).
@pytest.mark.simcord(settle_timeout=60)
async def test_gaps_look_back_only_the_days_asked(world):
    env, _, guilds = world
    a = guilds["A"]
    await a["member"].slash(a["channel"], "ask", question="What did Brazil say about the drones?")
    await env.advance_time(3 * 24 * 3600)
    recent = await a["admin"].slash(a["channel"], "gaps", days=2)
    assert recent.response.embeds[0].description == "No question of the last 2 days went unanswered or got 👎."
    wider = await a["admin"].slash(a["channel"], "gaps", days=4)
    assert wider.response.embeds[0].description.startswith("**Brazil** · 1 question")
