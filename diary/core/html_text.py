"""The words of an HTML body, as a person reads them in a browser, without loading anything it
names: tags gone, what is never shown (scripts, styles, the head) left out, a line break where
a line or block ended, runs of spaces as one. For an e-mail's HTML body brought in as an
entry's words, and for the safe copy of an HTML file the owner reads instead of opening it."""

import re
from html.parser import HTMLParser

_BREAKS = {"br", "p", "div", "tr", "li", "section", "blockquote", "h1", "h2", "h3", "h4"}
_BREAKS |= {"h5", "h6"}
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br" or (tag in _BREAKS and self.pieces):
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS and tag != "br":
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.pieces).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
