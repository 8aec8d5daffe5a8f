"""Pages and listings: following a list's next page URL (on our own host, never a page twice,
within MAX_PAGES), and keeping each page's JSON text so that `--json` prints the records as
the API sent them (the page pass-through: PageText, decode_page)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from msgsvc.api.decoding import STRICT, decode
from msgsvc.errors import ResponseError, TooManyPages

if TYPE_CHECKING:
    from msgsvc.api.transport import Answer

    from msgsvc.api.transport import Transport

MAX_PAGE_SIZE = 1000
MAX_PAGES = 2_000  # pages of one listing: 2 million records at 1,000 a page
MAX_EMPTY_PAGES = 3  # empty pages in a row that still point to a next page


class PageText:
    """The exact JSON text (UTF-8) of the array of one list page, and which records it holds:
    `--json` prints whole pages as the API sent them instead of encoding 10,000 objects again."""

    __slots__ = ("data", "first", "last", "count")

    def __init__(self, data: bytes | memoryview, items: list[dict]) -> None:
        self.data = data
        self.count = len(items)
        self.first = items[0] if items else None
        self.last = items[-1] if items else None


class Listing:
    """The records of a list, one at a time (an iterator); `pages` holds the text of each
    page fetched so far (see PageText)."""

    def __init__(self) -> None:
        self.pages: list[PageText] = []
        self.more = False  # stopped at its limit while the API had more (known without a request)
        self._records: Iterator[dict[str, Any]] = iter(())

    def __iter__(self) -> "Listing":
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._records)



def paginate(
    client: Transport,
    path: str,
    key: str,
    *,
    product: str,
    params: dict[str, Any] | None = None,
    limit: int | None = None,
    page_size: int | None = None,
) -> Listing:
    """The records of a list, following the API's next page URL exactly as given, and
    never fetching a page once `limit` records were taken. Pages are fetched as the
    records are iterated, each by `client.request`."""
    listing = Listing()
    listing._records = _records(client, listing, path, key, product, params, limit, page_size)
    return listing


def _records(client: Transport, listing: Listing, path: str, key: str, product: str, params: dict[str, Any] | None,
             limit: int | None, page_size: int | None) -> Iterator[dict[str, Any]]:
    if limit is not None and limit <= 0:
        return
    if page_size is None:
        page_size = min(limit, MAX_PAGE_SIZE) if limit else MAX_PAGE_SIZE
    query = dict(params or {})
    query["PageSize"] = page_size
    url: str | None = path if not path.startswith("/") else client.base(product) + path
    url = f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
    # Pages are told apart as _page_identity says, so a next URL back to the first page
    # (`...&Page=0`) is caught as a repeat too.
    seen: set[tuple] = {_page_identity(url)}
    count = pages = empty = 0
    while url:
        # A page that fails is retried by the adapter (GET); never from page one again.
        items, next_url, text = client.request("GET", url, product=product, page_key=key)
        pages += 1
        empty = 0 if items else empty + 1
        if text is not None:
            listing.pages.append(text)
        for number, item in enumerate(items, 1):
            yield item
            count += 1
            if limit is not None and count >= limit:
                listing.more = number < len(items) or bool(next_url)
                return
        if next_url:
            if empty >= MAX_EMPTY_PAGES:
                raise ResponseError(
                    f"the API sent {empty} empty pages in a row, each pointing to another ({next_url}); "
                    "stopping: a list does not go on after that"
                )
            if pages >= MAX_PAGES:
                raise TooManyPages(
                    f"the list at {path} goes on past {MAX_PAGES:,} pages ({count:,} records); stopping: "
                    "msgsvc follows at most that many pages of one list"
                )
            next_url = _rebase(next_url, client.base(product))
            identity = _page_identity(next_url)
            if identity in seen:
                raise ResponseError(
                    f"the API pointed again to a page it already sent ({next_url}); "
                    "stopping so that no item is listed twice"
                )
            seen.add(identity)
        url = next_url

def _rebase(next_url: str, base: str) -> str:
    """A next page's URL under our base URL: relative links resolved against it, and its
    path prefix (https://gateway.example/twilio) kept on every page."""
    prefix = urlsplit(base).path.rstrip("/")
    url = urljoin(base + "/", next_url)
    parts = urlsplit(url)
    same_host = (parts.scheme, parts.netloc.lower()) == (urlsplit(base).scheme, urlsplit(base).netloc.lower())
    if prefix and same_host and parts.path != prefix and not parts.path.startswith(prefix + "/"):
        url = parts._replace(path=prefix + parts.path).geturl()
    return url


def _page_identity(url: str) -> tuple:
    """What tells pages apart: with a PageToken, `Page` is "simply for client state" and left
    out; without one, `Page` is the position (absent means page 0)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if k != "Page"]
    if not any(k == "PageToken" for k, _ in pairs):
        query.append(("Page", next((v for k, v in pairs if k == "Page"), "0")))
    return (parts.scheme, parts.netloc.lower(), parts.path, tuple(sorted(query)))


def _page(payload: Any, key: str, url: str) -> tuple[list[dict], str | None]:
    """Records and the next page's URL, from a Messaging v1 page (`meta`) or a 2010 one."""
    if not isinstance(payload, dict):
        raise ResponseError(f"the list at {url} is not a JSON object")
    meta = payload.get("meta")
    if isinstance(meta, dict):
        if isinstance(meta.get("key"), str) and meta["key"]:
            key = meta["key"]
        next_url = meta.get("next_page_url")
    elif "next_page_uri" in payload:  # the 2010 API: relative URIs at the top level
        next_url = payload.get("next_page_uri")
    else:
        raise ResponseError(f"the list at {url} has no paging information ('meta' is missing)")
    items = payload.get(key)
    if not isinstance(items, list):
        raise ResponseError(f"the list at {url} has no '{key}' array")
    if not all(isinstance(item, dict) for item in items):
        raise ResponseError(f"the list at {url} has an item in '{key}' that is not an object")
    if next_url is not None and not isinstance(next_url, str):
        raise ResponseError(f"the list at {url} has a next page URL that is not a string")
    return items, next_url or None


_scan_value = json.JSONDecoder(**STRICT).scan_once  # the C scanner: (value, end) from text[index:]
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _scan_page(text: str) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """Decode a JSON object as json.loads does (each member by the C scanner) and note where
    each top-level array starts and ends. Anything unusual raises ValueError (then json.loads)."""
    from json.decoder import scanstring

    skip = _WHITESPACE.match
    payload: dict[str, Any] = {}
    arrays: dict[str, tuple[int, int]] = {}
    index = skip(text, 0).end()
    if text[index] != "{":
        raise ValueError("not an object")
    index = skip(text, index + 1).end()
    while text[index] != "}":
        if text[index] != '"':
            raise ValueError("no key")
        name, index = scanstring(text, index + 1)
        index = skip(text, index).end()
        if text[index] != ":":
            raise ValueError("no colon")
        start = index = skip(text, index + 1).end()
        payload[name], index = _scan_value(text, index)
        if text[start] == "[":
            arrays[name] = (start, index)
        index = skip(text, index).end()
        if text[index] == ",":
            index = skip(text, index + 1).end()
        elif text[index] != "}":
            raise ValueError("bad object")
    if skip(text, index + 1).end() != len(text):
        raise ValueError("extra data")
    return payload, arrays


def decode_page(response: Answer, method: str, url: str, key: str) -> tuple[list[dict], str | None, PageText | None]:
    """A list page's records, its next URL, and the text of its array when it could be kept."""
    arrays: dict[str, tuple[int, int]] = {}
    body = response.content
    try:
        if not 200 <= response.status_code < 300:
            raise ValueError("an error")
        text = body.decode("utf-8")
        payload, arrays = _scan_page(text)
    except (ValueError, IndexError, StopIteration, RecursionError):  # an error or odd JSON: the plain path says what
        payload = decode(response, method, url)
    items, next_url = _page(payload, key, url)
    meta = payload.get("meta") if isinstance(payload, dict) else None
    span = arrays.get((meta.get("key") if isinstance(meta, dict) else None) or key)
    page = None
    if span is not None and items:
        start, end = span[0] + 1, span[1] - 1  # inside the brackets, without white space
        while text[start] in " \t\n\r":
            start += 1
        while text[end - 1] in " \t\n\r":
            end -= 1
        # Character offsets are byte offsets in ASCII text: a view of the bytes, no copy.
        data = memoryview(body)[start:end] if text.isascii() else text[start:end].encode("utf-8")
        page = PageText(data, items)
    return items, next_url, page

