"""Text extraction from documents: txt, md, html, pdf (pypdf) and docx (python-docx); and the main text of a web
page (`html_to_main_text`: navigation, headers, footers, sidebars, forms and link lists dropped)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from simulagent.errors import UserError

__all__ = ["SUPPORTED_SUFFIXES", "Document", "ExtractionError", "extract", "html_to_main_text", "html_to_text"]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


class ExtractionError(UserError):
    """A document cannot be read; the message names the file and why."""


@dataclass(frozen=True)
class Document:
    """Extracted text with its title (first heading, <title>, or the file name)."""

    title: str
    text: str


class _HTMLText(HTMLParser):
    _SKIP: ClassVar[frozenset[str]] = frozenset({"script", "style", "noscript", "template", "svg", "nav", "footer"})
    _BLOCK: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> Document:
    """Visible text of an HTML page (scripts, styles and navigation dropped), white space tidied."""
    parser = _HTMLText()
    parser.feed(html)
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.parts))
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return Document(parser.title.strip(), text)


@dataclass
class _Block:
    """The text between two block boundaries, with how much of it is link text and whether it is inside the page's
    main content (<main>, <article>, role=main)."""

    parts: list[str]
    link_chars: int
    in_main: bool

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts)).strip()


class _MainText(HTMLParser):
    # Whole subtrees that are page furniture, never content.
    _SKIP: ClassVar[frozenset[str]] = frozenset(
        {
            "script", "style", "noscript", "template", "svg", "nav", "footer", "header", "aside", "form", "button",
            "select", "textarea", "iframe", "canvas", "menu", "dialog", "object", "figure",
        }
    )  # fmt: skip
    _SKIP_ROLES: ClassVar[frozenset[str]] = frozenset(
        {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog", "alert"}
    )
    # class or id words of furniture that sites put in plain <div>s.
    _SKIP_NAMES = re.compile(
        r"(?:^|[\s_-])(?:nav|navbar|menu|footer|sidebar|breadcrumbs?|cookies?|banner|advert|ads|share|social|"
        r"related|subscribe|newsletter|popup|modal|comments?)(?:$|[\s_-])",
        re.IGNORECASE,
    )
    _VOID: ClassVar[frozenset[str]] = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
    )
    _BLOCK: ClassVar[frozenset[str]] = frozenset(
        {
            "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td",
            "th", "table", "section", "article", "main", "blockquote", "pre", "hr", "body",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.title = ""
        self.heading = ""
        self.has_main = False
        # Open elements: (tag, skips its subtree, is main content).
        self._stack: list[tuple[str, bool, bool]] = []
        self._skip = 0
        self._main = 0
        self._links = 0
        self._in_title = False
        self._in_h1 = False
        self._block = _Block([], 0, False)

    def _flush(self) -> None:
        if self._block.text:
            self.blocks.append(self._block)
        self._block = _Block([], 0, self._main > 0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self._flush()
        if tag == "title":
            self._in_title = True
        if tag == "h1" and not self.heading:
            self._in_h1 = True
        if tag == "a":
            self._links += 1
        if tag in self._VOID:
            return
        values = dict(attrs)
        role = (values.get("role") or "").lower()
        names = f"{values.get('class') or ''} {values.get('id') or ''}"
        skip = (
            tag in self._SKIP
            or role in self._SKIP_ROLES
            or values.get("hidden") is not None
            or values.get("aria-hidden") == "true"
            or (tag not in ("body", "main", "article") and bool(self._SKIP_NAMES.search(names)))
        )
        main = tag in ("main", "article") or role == "main"
        self.has_main = self.has_main or main
        self._stack.append((tag, skip, main))
        self._skip += skip
        self._main += main
        if main:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK:
            self._flush()
        if tag == "title":
            self._in_title = False
        if tag == "h1":
            self._in_h1 = False
        if tag == "a" and self._links:
            self._links -= 1
        # Close up to the innermost open element of this name (browsers' rule for unclosed <p>, <li>, ...); an end
        # tag that matches nothing open is ignored.
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                for _, skip, main in self._stack[depth:]:
                    self._skip -= skip
                    self._main -= main
                del self._stack[depth:]
                break
        if tag in ("main", "article"):
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip:
            return
        if self._in_h1:
            self.heading += data
        self._block.parts.append(data)
        if self._links:
            self._block.link_chars += len(data.strip())


# A block whose characters are mostly link text is a menu, a tag cloud or a list of related articles.
_MAX_LINK_DENSITY = 0.5
# A page's <main>/<article> is trusted only when it holds at least this much text (some sites wrap one teaser in
# <article> and the real text elsewhere).
_MIN_MAIN_CHARS = 200


def html_to_main_text(html: str) -> Document:
    """The main text of a web page, for retrieval: boilerplate removed.

    Dropped: scripts and styles; <nav>, <header>, <footer>, <aside>, forms and buttons; elements whose ARIA role is
    navigation, banner, contentinfo or complementary, or whose class/id names a menu, sidebar, cookie banner, share
    bar and the like; hidden elements; blocks whose text is mostly link text (menus, tag clouds). When the page marks
    its content with <main>, <article> or role=main and that holds enough text, only that is kept.
    The title is <title>, else the first <h1>.
    """
    parser = _MainText()
    parser.feed(html)
    parser.close()
    parser._flush()
    blocks = [b for b in parser.blocks if not b.link_chars or b.link_chars / max(len(b.text), 1) <= _MAX_LINK_DENSITY]
    main = [b for b in blocks if b.in_main]
    if parser.has_main and sum(len(b.text) for b in main) >= _MIN_MAIN_CHARS:
        blocks = main
    title = re.sub(r"\s+", " ", parser.title).strip() or re.sub(r"\s+", " ", parser.heading).strip()
    return Document(title, "\n".join(b.text for b in blocks))


def extract(path: Path) -> Document:
    """Extract `path`'s text; ExtractionError for unknown formats, unreadable or text-less files."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".md", ".markdown"):
            text = path.read_text(encoding="utf-8", errors="strict")
            heading = next((line.lstrip("# ").strip() for line in text.splitlines() if line.strip()), "")
            title = heading if suffix != ".txt" or len(heading) <= 80 else ""
            doc = Document(title or path.stem, text)
        elif suffix in (".html", ".htm"):
            doc = html_to_text(path.read_text(encoding="utf-8", errors="replace"))
            doc = Document(doc.title or path.stem, doc.text)
        elif suffix == ".pdf":
            doc = _pdf(path)
        elif suffix == ".docx":
            doc = _docx(path)
        else:
            raise ExtractionError(f"{path}: unsupported format (supported: {', '.join(SUPPORTED_SUFFIXES)})")
    except UnicodeDecodeError:
        raise ExtractionError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ExtractionError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not doc.text.strip():
        raise ExtractionError(f"{path}: no text found")
    return doc


def _pdf(path: Path) -> Document:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise ExtractionError(f"{path}: reading PDF needs pypdf (pip install simulagent[rag])") from None
    try:
        reader = PdfReader(str(path))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        title = (reader.metadata.title if reader.metadata else None) or path.stem
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ExtractionError(f"{path}: not a readable PDF ({exc})") from None
    return Document(str(title), text)


def _docx(path: Path) -> Document:
    try:
        import docx
    except ImportError:
        raise ExtractionError(f"{path}: reading .docx needs python-docx (pip install simulagent[rag])") from None
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types for a broken file
        raise ExtractionError(f"{path}: not a readable .docx ({type(exc).__name__})") from None
    text = "\n".join(p.text for p in document.paragraphs)
    title = document.core_properties.title or path.stem
    return Document(title, text)
