"""Text extraction from documents: txt, md, html, pdf (pypdf) and docx (python-docx)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from simulagent.errors import UserError

__all__ = ["SUPPORTED_SUFFIXES", "Document", "ExtractionError", "extract", "html_to_text"]

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
