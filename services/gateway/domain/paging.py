"""Pages of what a user may see, cut from a backend's pages of everything a filter matches.

Stats and the recorder filter by fields (a queue, an agent), not by a user's rights: a
supervisor of two teams, or one whose agents took few of the calls, would get pages that are
mostly (or wholly) someone else's. So the role filter runs *before* the page is cut: backend
pages are read on until the user's page is full and one more visible item is found, and the
page's token is the backend's own token of the position just before that item. Every page
is therefore full except the last, and a token is given only when at least one more visible
item exists. The backends' tokens are positions (the last item's time and id), so a page
read again later starts where it did, whatever arrived meanwhile.

Reading is bounded (MAX_BACKEND_PAGES per request): past that a page may come short, with
the token to read on from where it stopped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# Backend pages read for one page at most (each of BATCH items or more).
MAX_BACKEND_PAGES = 10
BATCH = 200


async def visible_page(
    fetch: Callable[[str, int], Awaitable[tuple[Sequence[T], str]]],
    sees: Callable[[T], Awaitable[bool]],
    wanted: int,
    page_token: str,
    max_size: int,
) -> tuple[list[T], str]:
    """Up to `wanted` items the user `sees`, from `fetch(backend_token, size)` (a backend
    page and the next one's token, "" at the end; at most `max_size` a page), and the token
    of the next page ("" when no visible item is left)."""
    token, size = page_token, min(max(wanted + 1, BATCH), max_size)
    found: list[T] = []
    for _ in range(MAX_BACKEND_PAGES):
        items, next_token = await fetch(token, size)
        for index, item in enumerate(items):
            if not await sees(item):
                continue
            if len(found) == wanted:  # one more is there: the next page starts with it
                return found, await _token_before(fetch, token, index)
            found.append(item)
        if not next_token:
            return found, ""
        token = next_token
    return found, token  # read enough for one request: the next page goes on from here


async def _token_before(fetch: Callable[[str, int], Awaitable[tuple[Sequence[T], str]]], token: str, index: int) -> str:
    """The backend's token of the position before the item at `index` of the page `token`
    starts: the token after that page's first `index` items."""
    if index == 0:
        return token
    _, before = await fetch(token, index)
    return before
