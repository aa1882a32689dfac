"""The commands that report on the corpus and its use: `digest` (what is new, story by story) and
`gaps` (what people asked that the articles do not answer, read from the bot's store)."""

import argparse
import datetime as dt

from bot.cli.invocation import EXIT_OK, EXIT_USAGE, Invocation


def digest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", default="24h", help="from when: 24h, 3d, 2023-01-05, yesterday (default: 24h)")
    parser.add_argument("--json", action="store_true")


def digest(run: Invocation) -> int:
    """The shared corpus's digest since `--since` (UTC), as `/digest` shows a server's."""
    from bot import terminal
    from bot.since import parse_since

    now = dt.datetime.now(dt.UTC)
    try:
        since = parse_since(run.args.since, now)
    except ValueError as exc:
        run.err.print(f"error: {exc}")
        return EXIT_USAGE
    run.ensure_corpus()
    run.show(run.service.digest(since, until=now), terminal.render_digest)
    return EXIT_OK


def gaps_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, help="one server (guild id) only")
    parser.add_argument("--days", type=int, help="how many days back (default: GAPS_DAYS)")
    parser.add_argument("--json", action="store_true")


def gaps(run: Invocation) -> int:
    """Coverage gaps per server from the bot's store, read without loading the retrieval model (as
    `citebot feedback`); a data dir where the bot never ran has none."""
    from bot import terminal
    from bot.gaps import coverage_gaps
    from bot.storage import read_if_present

    days: int = run.args.days or run.settings.gaps_days
    if days < 1:
        run.err.print("error: --days must be at least 1")
        return EXIT_USAGE
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).timestamp()
    asked = read_if_present(run.settings.bot_database, lambda store: store.gaps(run.args.guild, since))
    per_guild = {guild: coverage_gaps([q for q in asked if q.guild_id == guild]) for guild in sorted({q.guild_id for q in asked})}
    if run.wants_json:
        run.print_json({"days": days, "guilds": [
            {"guild_id": guild, "gaps": [gap.to_json() for gap in found]} for guild, found in per_guild.items()
        ]})
    else:
        terminal.render_gaps(run.out, per_guild, days)
    return EXIT_OK
