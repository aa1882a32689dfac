import re
from pathlib import Path

from bot.settings import Settings
from tests.conftest import REPO


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
