"""WebFetch: fetch an http(s) URL and return the page as readable text."""

from __future__ import annotations

import asyncio
import codecs
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from tenure.models import ToolKind
from tenure.tools.base import ToolContext, ToolError
from tenure.tools.limits import MAX_RESULT_BYTES, utf8_prefix

TIMEOUT_S = 30.0
"""The whole fetch, redirects included."""
MAX_REDIRECTS = 5
MAX_BYTES = 5_000_000
"""How much of a response body is read; the rest is not downloaded."""
MAX_CHARS = 100_000
"""How much text the model gets (and at most MAX_RESULT_BYTES of it, with the header)."""
NOTES_BYTES = 1024
"""Room kept for the notes after the page text."""
CUT_HINT = (
    "fetch a narrower URL (a section, a raw file, a page of an API), or download it with Bash "
    "(curl -o FILE URL) and Read or Grep the file"
)
HEADERS = {
    "User-Agent": "Mozilla/5.0 (compatible; tenure-WebFetch/0.1)",
    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5",
}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
TEXT_TYPES = {
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-javascript",
    "application/yaml",
    "application/x-yaml",
    "application/x-ndjson",
}


class WebFetchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="The http:// or https:// URL to fetch.")
    prompt: str | None = Field(
        default=None,
        description="What you want to know from the page; it is put at the top of the result.",
    )


class WebFetchTool:
    name = "WebFetch"
    # Fetching sends data out (in the URL): asked for in default mode, like Claude Code.
    kind: ToolKind = "execute"
    concurrent = True
    """It reaches the network (so it asks), but changes nothing on the host."""
    input_model: type[BaseModel] = WebFetchInput
    description = (
        "Fetches a URL and returns its content as readable text.\n\n"
        f"- http and https only; follows up to {MAX_REDIRECTS} redirects (to http(s) URLs only).\n"
        "- HTML becomes plain text: headings as #, list items as -, links as `text (url)`; "
        "scripts, styles and navigation are dropped. Plain text and JSON come back as they are. "
        "Binary content (images, PDFs, archives) is refused: download it with Bash instead.\n"
        f"- Reads at most {MAX_BYTES // 1_000_000} MB and returns at most {MAX_CHARS:,} "
        f"characters ({MAX_RESULT_BYTES // 1024} KB), with a note when cut; gives up after "
        f"{TIMEOUT_S:g} s.\n"
        "- HTTP errors (4xx, 5xx) and connection failures are reported as errors.\n"
        "- prompt: what you want to know from the page. No second model reads the page for you "
        "here: the prompt is put at the top of the result ('Question: ...') above the page "
        "text, and you answer it yourself from that text."
    )

    async def execute(self, input: WebFetchInput, ctx: ToolContext) -> str:
        if not _is_http(input.url):
            raise ToolError(
                f"Cannot fetch {input.url!r}: only http:// and https:// URLs are supported."
            )
        try:
            async with asyncio.timeout(TIMEOUT_S):
                page = await _fetch(input.url)
        except (TimeoutError, httpx.TimeoutException):
            raise ToolError(f"Fetching {input.url} timed out after {TIMEOUT_S:g} s.") from None
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            raise ToolError(f"Could not fetch {input.url}: {type(e).__name__}: {e}") from None
        # Turning megabytes of HTML into text takes a while: not on the event loop.
        return await asyncio.to_thread(_render, input, page)


@dataclass
class _Page:
    url: str
    requested: str
    media_type: str
    text: str
    complete: bool
    """False when the body was larger than MAX_BYTES and only its start was read."""


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


async def _fetch(requested: str) -> _Page:
    url = requested
    async with httpx.AsyncClient(timeout=TIMEOUT_S, headers=HEADERS) as client:
        for _ in range(MAX_REDIRECTS + 1):
            async with client.stream("GET", url) as response:
                if response.is_redirect:
                    target = urljoin(url, response.headers["location"])
                    if not _is_http(target):
                        raise ToolError(
                            f"{url} redirected to {target}, which is not an http(s) URL; "
                            "not followed."
                        )
                    url = target
                    continue
                if response.is_error:
                    raise ToolError(
                        f"HTTP {response.status_code} {response.reason_phrase} from {url}"
                    )
                media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if media_type and not _is_textual(media_type):
                    raise ToolError(_binary_refusal(url, media_type))
                body, complete = await _read_capped(response)
                if not media_type and b"\0" in body[:8192]:
                    raise ToolError(_binary_refusal(url, "binary data without a content type"))
                return _Page(
                    url=url,
                    requested=requested,
                    media_type=media_type,
                    text=body.decode(_encoding(response, body), errors="replace"),
                    complete=complete,
                )
    raise ToolError(
        f"Too many redirects: {requested} redirected more than {MAX_REDIRECTS} times "
        f"(the last one to {url})."
    )


def _is_textual(media_type: str) -> bool:
    return (
        media_type.startswith("text/")
        or media_type in HTML_TYPES
        or media_type in TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def _binary_refusal(url: str, what: str) -> str:
    return (
        f"{url} is {what}, not text: WebFetch reads web pages, text and JSON. "
        "Download binary files with Bash (e.g. curl -o FILE URL) instead."
    )


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    """The body, up to MAX_BYTES; and whether that was all of it."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BYTES:
            return bytes(body[:MAX_BYTES]), False
    return bytes(body), True


def _encoding(response: httpx.Response, body: bytes) -> str:
    """The charset from the Content-Type header, else from a <meta> tag, else UTF-8."""
    declared = response.charset_encoding
    if declared is None:
        meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
        declared = meta.group(1).decode("ascii") if meta else None
    try:
        return codecs.lookup(declared or "utf-8").name
    except LookupError:
        return "utf-8"


def _render(input: WebFetchInput, page: _Page) -> str:
    lines = []
    if input.prompt:
        lines += [f"Question: {input.prompt}", ""]
    redirected = f" (redirected from {page.requested})" if page.url != page.requested else ""
    lines.append(f"URL: {page.url}{redirected}")
    lines.append(f"Content-Type: {page.media_type or 'unknown'}")
    lines.append("")
    if page.media_type in HTML_TYPES:
        text = html_to_text(page.text, page.url)
    else:
        text = page.text
    room = MAX_RESULT_BYTES - len("\n".join(lines).encode("utf-8")) - NOTES_BYTES
    shown = utf8_prefix(text[:MAX_CHARS], max(0, room))
    if len(shown) < len(text):
        shown += f"\n... [content cut: {len(text) - len(shown)} more characters; {CUT_HINT}]"
    lines.append(shown if text.strip() else "(the page has no readable text)")
    if not page.complete:
        lines.append(
            f"[stopped reading after {MAX_BYTES:,} bytes: the rest of the response was not "
            "downloaded]"
        )
    return "\n".join(lines)


# --- HTML to text -------------------------------------------------------------------------------

SKIPPED_TAGS = {
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
    "nav", "footer", "aside", "button", "select",
}  # fmt: skip
"""Elements whose content is boilerplate or not text."""
PARAGRAPH_TAGS = {
    "p", "pre", "blockquote", "table", "ul", "ol", "dl", "section", "article", "main",
    "header", "figure", "details", "hr", "form", "fieldset",
}  # fmt: skip
"""Blocks set apart by a blank line."""
LINE_TAGS = {"div", "li", "tr", "dt", "dd", "br", "figcaption", "summary", "address", "caption"}
"""Blocks that start on a new line."""
HEADING_LEVELS = {f"h{n}": n for n in range(1, 7)}


def html_to_text(html: str, url: str) -> str:
    """Readable text of an HTML page: the title, headings, paragraphs, list items, and links
    as `text (url)`; scripts, styles, navigation and other boilerplate left out."""
    parser = _Readable(url)
    parser.feed(html)
    parser.close()
    return parser.text()


class _Readable(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self._base = url
        self._lines: list[str] = []
        self._line: list[str] = []
        """The inline text of the current block."""
        self._prefix = ""
        """Put before the current block's text: '# ' for a heading, '- ' for a list item."""
        self._skipping: list[str] = []
        self._pre = 0
        self._lists: list[int | None] = []
        """One entry per open list: the item count of an <ol>, None for a <ul>."""
        self._links: list[tuple[str | None, int, int]] = []
        """Per open <a>: its URL (None when it leads nowhere), the number of lines written
        and the position in the current line when it opened."""
        self._in_title = False
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS or self._skipping:
            if tag in SKIPPED_TAGS:
                self._skipping.append(tag)
            return
        attributes = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "base" and attributes.get("href"):
            self._base = urljoin(self._base, attributes["href"] or "")
        elif tag == "a":
            url = self._link_url(attributes.get("href"))
            self._links.append((url, len(self._lines), len(self._line)))
        elif tag in HEADING_LEVELS:
            self._paragraph()
            self._prefix = "#" * HEADING_LEVELS[tag] + " "
        elif tag in ("ul", "ol"):
            self._end_list_block()
            self._lists.append(0 if tag == "ol" else None)
        elif tag == "li":
            self._flush()
            self._prefix = "  " * max(0, len(self._lists) - 1) + self._bullet()
        elif tag in ("td", "th"):
            if "".join(self._line).strip():
                self._line.append(" | ")
        elif tag in PARAGRAPH_TAGS:
            self._paragraph()
            if tag == "pre":
                self._pre += 1
        elif tag in LINE_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag in self._skipping:
                while self._skipping.pop() != tag:
                    pass
            return
        if tag == "title":
            self._in_title = False
        elif tag == "a" and self._links:
            url, lines, position = self._links.pop()
            start = position if lines == len(self._lines) else 0
            text = " ".join("".join(self._line[start:]).split())
            if url and text and text != url:
                self._line.append(f" ({url})")
        elif tag in HEADING_LEVELS:
            self._paragraph()
            self._prefix = ""
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._end_list_block()
        elif tag == "li":
            self._flush()
            self._prefix = ""
        elif tag in PARAGRAPH_TAGS:
            self._paragraph()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
        elif tag in LINE_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._in_title:
            self._title.append(data)
        else:
            self._line.append(data)

    def text(self) -> str:
        self._flush()
        body = "\n".join(self._lines).strip()
        title = " ".join("".join(self._title).split())
        return f"Title: {title}\n\n{body}".strip() if title else body

    def _link_url(self, href: str | None) -> str | None:
        if not href or href.startswith("#") or href.lower().startswith(("javascript:", "data:")):
            return None
        return urljoin(self._base, href)

    def _bullet(self) -> str:
        if self._lists and self._lists[-1] is not None:
            self._lists[-1] += 1
            return f"{self._lists[-1]}. "
        return "- "

    def _flush(self) -> None:
        """End the current line of text (if it has any)."""
        raw = "".join(self._line)
        self._line = []
        text = raw.strip("\n").rstrip() if self._pre else " ".join(raw.split())
        if text.strip():
            self._lines.append(self._prefix + text)
            self._prefix = ""

    def _end_list_block(self) -> None:
        """A list starts or ends: a blank line, except around a list nested in another."""
        if self._lists:
            self._flush()
        else:
            self._paragraph()

    def _paragraph(self) -> None:
        """End the current block and leave a blank line after it."""
        self._flush()
        if self._lines and self._lines[-1]:
            self._lines.append("")
