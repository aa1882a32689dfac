import re
from pathlib import Path

from bot.settings import Settings
from tests.support.services import REPO


def env_names(field_name: str) -> set[str]:
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if alias is None:
        return {field_name.upper()}
    return {str(choice).upper() for choice in alias.choices}


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    missing = [name for name in Settings.model_fields if not env_names(name) & documented]
    assert missing == []


def test_env_file_and_environment_are_read(tmp_path: Path, monkeypatch):
    (tmp_path / ".env").write_text("TOP_K=9\nCITEBOT_DATA_DIR=/srv/citebot\nDISCORD_TOKEN=abc\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOP_K", "7")
    settings = Settings()
    assert settings.top_k == 7
    assert settings.data_dir == Path("/srv/citebot")
    assert settings.discord_token.get_secret_value() == "abc"


def test_shards_auto_builds_an_auto_sharded_bot(tmp_path: Path, service):
    from discord.ext import commands

    from bot import create_bot

    sharded = create_bot(Settings(_env_file=None, data_dir=tmp_path / "a", shards="auto"), service)
    single = create_bot(Settings(_env_file=None, data_dir=tmp_path / "b"), service)
    assert isinstance(sharded, commands.AutoShardedBot)
    assert not isinstance(single, commands.AutoShardedBot)
    assert sharded.allowed_mentions.everyone is False and sharded.allowed_mentions.roles is False
    assert not single.intents.message_content
    with_channels = create_bot(Settings(_env_file=None, data_dir=tmp_path / "c", ask_channel_ids="1,2"), service)
    assert with_channels.intents.message_content
    asked_for = create_bot(Settings(_env_file=None, data_dir=tmp_path / "d", message_content_intent=True), service)
    assert asked_for.intents.message_content
