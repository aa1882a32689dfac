"""/upload of files and web articles and /remove (bot/exts/admin/documents.py), each guild's uploads its own."""

import socket

import pytest

from bot.client import guild_scope
from bot.rendering import inline
from retrieval.ingest.web import url_document_id
from tests.support.discord import HARBOUR, assert_harbour_invisible_to, quotes, upload, upload_harbour_and_ask
from tests.support.files import ARTICLE, HTML, make_pdf
from tests.support.loopback import LoopbackServer
from tests.support.snapshots import index_state

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("filename", "data", "question", "expected"),
    [
        ("harbour.txt", HARBOUR, "Who resigned as harbour master of Valdora?", "Ottavio Brambilla"),
        ("harbour.html", HTML.encode(), "How long will the breakwater repairs take?", "two months"),
        ("wind.pdf", make_pdf(["Wind farm approved", "The council approved the Kestrel wind farm on Friday."]),
         "Which wind farm did the council approve?", "Kestrel"),
    ],
    ids=["txt", "html", "pdf"],
)
async def test_admin_upload_then_ask_finds_it(world, filename: str, data: bytes, question: str, expected: str):
    env, _, guilds = world
    a = guilds["A"]
    result = await upload(a["admin"], a["channel"], filename, data)
    assert result.ephemeral
    assert result.response.content.startswith("✅ Added")
    edits = [e.json.get("content", "") for e in env.http_requests if e.method == "PATCH" and isinstance(e.json, dict)]
    assert any(text.startswith("⏳ Indexing") for text in edits), "progress shown while ingesting"
    answer = await a["member"].slash(a["channel"], "ask", question=question)
    assert any(expected in q for q in quotes(answer.response.embeds))
    again = await upload(a["admin"], a["channel"], filename, data)
    assert "unchanged" in again.response.content


async def test_reupload_with_new_content_replaces(world):
    env, _, guilds = world
    a = guilds["A"]
    await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR)
    changed = HARBOUR.replace(b"next week", b"on Monday, naming Lucia Ferrante")
    result = await upload(a["admin"], a["channel"], "harbour.txt", changed)
    assert result.response.content.startswith("✅ Updated `harbour`")
    answer = await a["member"].slash(a["channel"], "ask", question="Who will be the interim harbour master?")
    assert any("Lucia Ferrante" in q for q in quotes(answer.response.embeds))


async def test_upload_refused_for_non_admins_even_when_the_command_is_shown(world):
    env, commands, guilds = world
    a = guilds["A"]
    with pytest.raises(Exception, match="(?i)permission|not.*(visible|available)|cannot"):
        await upload(a["member"], a["channel"], "harbour.txt", HARBOUR)
    a["guild"].set_command_permissions(commands["upload"], {a["member"]: True})
    result = await upload(a["member"], a["channel"], "harbour.txt", HARBOUR)
    assert result.ephemeral and "Only server admins" in result.response.content
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)]) == []


async def test_admin_role_ids_grant_admin(world, bot_service):
    env, commands, guilds = world
    a = guilds["A"]
    editors = a["guild"].create_role("Editors")
    editor = a["guild"].add_member(env.create_user("editor"), roles=[editors])
    a["guild"].set_command_permissions(commands["upload"], {editors: True})
    bot_service.settings.admin_role_ids.append(editors.id)
    result = await upload(editor, a["channel"], "harbour.txt", HARBOUR)
    assert result.response.content.startswith("✅ Added")


@pytest.mark.parametrize("bot_overrides", [{"max_upload_bytes": 1000}])
@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("big.txt", b"word " * 201, "1,005 bytes; the upload limit is 1,000 bytes"),
        ("sheet.xlsx", b"PK\x03\x04", "unsupported file type"),
        ("broken.pdf", b"%PDF-1.4 not really",
         "was not added: corrupt or unreadable PDF: the file is damaged or is not a PDF; export or download it again"),
        ("../../escape.md", b"Escaping text that should stay inside.", "✅ Added `escape`"),
    ],
    ids=["oversized", "unsupported", "corrupt", "path-traversal-name"],
)
async def test_bad_uploads_are_refused_clearly(world, filename: str, data: bytes, message: str, tmp_path):
    env, _, guilds = world
    a = guilds["A"]
    result = await upload(a["admin"], a["channel"], filename, data)
    assert result.ephemeral and message in result.response.content
    assert not (tmp_path.parent / "escape.md").exists()


@pytest.mark.parametrize("bot_overrides", [{"max_upload_bytes": 4000}])
async def test_exactly_the_upload_limit_is_accepted(world):
    env, _, guilds = world
    a = guilds["A"]
    limit = env.bot.services.settings.max_upload_bytes
    body = b"The tide gauge was recalibrated on Tuesday. " * (limit // 45)
    data = body + b"x" * (limit - len(body))
    result = await upload(a["admin"], a["channel"], "tide.txt", data)
    assert result.response.content.startswith("✅ Added")
    before = index_state(env.bot.services.answers)
    over = await upload(a["admin"], a["channel"], "tide2.txt", data + b"x")
    assert "upload limit" in over.response.content
    assert index_state(env.bot.services.answers) == before


async def test_upload_reports_counts_in_words_and_titles_untitled_files_sensibly(world):
    env, _, guilds = world
    a = guilds["A"]
    one = await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR)
    assert one.response.content == (
        "✅ Added `harbour`: *Harbour master resigns*, no publication date found; 1 chunk indexed. Ask about it with /ask."
    )
    await upload(a["admin"], a["channel"], "pier-notes.txt",
                 b"The northern pier of Valdora will reopen in May, the council said on Monday.\nRepairs continue.")
    await upload(a["admin"], a["channel"], "ferry.md", b"# Ferry resumes service\n\nThe ferry to the islands resumed on Sunday.")
    titles = {s.doc_id: s.title for s in env.bot.services.answers.sources([guild_scope(a["guild"].id)])}
    assert titles == {"harbour": "Harbour master resigns", "pier-notes": "pier-notes", "ferry": "Ferry resumes service"}
    listing = await a["member"].slash(a["channel"], "sources")
    assert "**ferry** · Ferry resumes service · 1 chunk · *uploaded here*" in listing.response.embeds[0].description
    assert "undated" not in listing.response.embeds[0].description


@pytest.fixture
def article_site():
    """A web server on 127.0.0.1 serving one article, the only web the URL upload tests reach."""
    server = LoopbackServer(lambda method, path, body: (
        (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE) if path == "/valdora"
        else (404, {"Content-Type": "text/plain"}, b"not here")
    ))
    yield server
    server.close()


@pytest.mark.parametrize("bot_overrides", [{"fetch_allow_loopback": True}])
async def test_upload_url_fetches_a_web_article_that_citations_link_to(world, article_site):
    env, _, guilds = world
    a = guilds["A"]
    url = f"{article_site.url}/valdora"
    doc_id = url_document_id(url)
    result = await a["admin"].slash(a["channel"], "upload", url=url)
    assert result.ephemeral and result.response.content == (
        f"✅ Added `{doc_id}`: *Valdora harbour master resigns*, published 2024-02-09; 1 chunk indexed. "
        "Ask about it with /ask."
    ), "the admin sees the title and date read from the page"
    shown = [e.json.get("content") or "" for e in env.http_requests if isinstance(e.json, dict)]
    assert f"⏳ Fetching and indexing {inline(url)}…" in shown, "progress shown while fetching"
    [info] = env.bot.services.answers.sources([guild_scope(a["guild"].id)])
    assert (info.title, info.url, info.published, info.author) == ("Valdora harbour master resigns", url, "2024-02-09",
                                                                   "Giulia Neri")
    answer = await a["member"].slash(a["channel"], "ask", question="Who resigned as harbour master of Valdora?")
    header = answer.response.embeds[0].fields[0].value.split("\n")[0]
    assert header == f"[Valdora harbour master resigns]({url}) · 2024-02-09"
    again = await a["admin"].slash(a["channel"], "upload", url=url)
    assert "unchanged" in again.response.content
    await assert_harbour_invisible_to(guilds["B"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a cloud metadata address"),
        ("http://127.0.0.1:9/valdora", "refused: 127.0.0.1 is a loopback address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "refused: fd00:ec2::254 is a cloud metadata address"),
        ("file:///etc/passwd", "only http:// and https:// URLs are fetched, not file:"),
        ("not a url at all", "only http:// and https:// URLs are fetched"),
    ],
    ids=["metadata", "loopback", "metadata-v6", "file", "garbage"],
)
async def test_upload_url_refuses_what_a_server_must_not_fetch(world, url: str, message: str, monkeypatch):
    env, _, guilds = world
    a = guilds["A"]
    before = index_state(env.bot.services.answers)

    attempts: list = []

    def no_connection(sock: socket.socket, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket.socket, "connect", no_connection)
    result = await a["admin"].slash(a["channel"], "upload", url=url)
    assert result.ephemeral and result.response.content.startswith(f"❌ {inline(url)} was not added: {message}")
    assert attempts == []
    assert index_state(env.bot.services.answers) == before


async def test_upload_takes_a_publication_date_and_refuses_what_is_not_one(world):
    env, _, guilds = world
    a = guilds["A"]
    refused = await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR, published="soon")
    assert refused.ephemeral and refused.response.content == "❌ Nothing was added: 'soon' is not a date (try 2023-01-05)."
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)]) == []
    added = await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR, published="Jan 5, 2023")
    assert added.response.content.startswith("✅ Added `harbour`")
    [source] = env.bot.services.answers.sources([guild_scope(a["guild"].id)])
    assert source.published == "2023-01-05"
    answer = await a["member"].slash(a["channel"], "ask", question="Who resigned as harbour master of Valdora?")
    assert " · as of 2023-01-05 · " in answer.response.embeds[-1].footer.text


async def test_upload_needs_a_file_or_a_url(world):
    env, _, guilds = world
    a = guilds["A"]
    result = await a["admin"].slash(a["channel"], "upload")
    assert result.ephemeral and result.response.content == "❌ Attach a file, or give the `url:` of a web article to fetch."


async def test_remove_with_confirmation(world):
    env, _, guilds = world
    a = guilds["A"]
    await upload(a["admin"], a["channel"], "harbour.txt", HARBOUR)
    choices = await a["admin"].autocomplete(a["channel"], "remove", "document", "harb")
    assert [c["value"] for c in choices] == ["harbour"]
    prompt = await a["admin"].slash(a["channel"], "remove", document="harbour")
    assert prompt.ephemeral and "Remove `harbour`" in prompt.response.content
    done = await a["admin"].click(prompt.response, label="Remove")
    assert "Removed `harbour`" in done.response.content
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)]) == []
    shared = await a["admin"].slash(a["channel"], "remove", document="china-open-to-supplying-arms-to-russia")
    assert "has no uploaded document" in shared.response.content


# Isolation ---------------------------------------------------------------------------------------


async def test_uploads_are_invisible_to_other_guilds(world):
    env, _, guilds = world
    a, b = guilds["A"], guilds["B"]
    await upload_harbour_and_ask(a)
    await assert_harbour_invisible_to(b)
    summary_b = await b["member"].slash(b["channel"], "summary", document="harbour")
    assert "No document" in summary_b.response.content
    removal_b = await b["admin"].slash(b["channel"], "remove", document="harbour")
    assert "has no uploaded document" in removal_b.response.content
    assert env.bot.services.answers.sources([guild_scope(a["guild"].id)])
