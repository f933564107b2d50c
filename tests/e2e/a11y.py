"""Accessibility checks for every page a journey visits: axe-core (from node_modules, injected
into the page, never fetched from anywhere), a label for every form field, and a visible focus
ring on everything the keyboard reaches."""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.e2e.server import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# How many Tab presses to follow on one page before calling it done (the longest page has far
# fewer stops than this; the loop ends as soon as focus comes round again).
MAX_TAB_STOPS = 120

# A form field without a <label> (or aria-labelledby pointing at visible text); placeholders and
# titles do not count.
UNLABELLED = """() => {
  const fields = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])' +
    ':not([type=image]), select, textarea');
  const missing = [];
  for (const field of fields) {
    const labelled = (field.labels && [...field.labels].some(l => l.textContent.trim())) ||
      (field.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => {
        const by = id && document.getElementById(id);
        return by && by.textContent.trim();
      });
    if (!labelled) { missing.push(field.outerHTML.slice(0, 160)); }
  }
  return missing;
}"""

# What has focus now, and whether a ring (outline or box-shadow) is drawn round it.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) { return null; }
  const style = getComputedStyle(el);
  // The browser's own ring ('auto') counts; a drawn one must be at least 2px wide.
  const outline = style.outlineStyle === 'auto' ||
    (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2);
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const box = el.getBoundingClientRect();
  const path = [];
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const index = node.parentElement ? [...node.parentElement.children].indexOf(node) : 0;
    path.unshift(node.tagName + ':' + index);
  }
  return {
    key: path.join('/'),
    html: el.outerHTML.slice(0, 160),
    ring: outline || shadow,
    shown: box.width > 0 && box.height > 0 && style.visibility !== 'hidden',
  };
}"""


def page_key(page: Page) -> str:
    """One key per kind of page: numbers in the path (ids) and the query count as the same."""
    path = re.sub(r"\d+", "N", page.url.split("://", 1)[1].split("/", 1)[-1].split("?")[0])
    return f"/{path} {page.title()}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the browser's devtools protocol, so the page's strict CSP (no inline
        # script) stays on for everything else.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )
    return [v for v in results if v["impact"] in BLOCKING]


def unlabelled_fields(page: Page) -> list[str]:
    return page.evaluate(UNLABELLED)


def focus_without_ring(page: Page) -> list[str]:
    """Tab through the page from the top; every element that takes focus must show a ring."""
    page.evaluate("() => { window.scrollTo(0, 0); document.activeElement?.blur(); }")
    missing: list[str] = []
    seen: set[str] = set()
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if focused["key"] in seen:
            break
        seen.add(focused["key"])
        if focused["shown"] and not focused["ring"]:
            missing.append(focused["html"])
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    return missing


def check_page(page: Page, *, axe: bool = True) -> list[str]:
    """Every problem found on the page that is open, as readable lines (empty when none)."""
    problems = []
    if axe:
        problems += [
            f"axe {v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
            for v in axe_violations(page)
        ]
    problems += [f"no label: {html}" for html in unlabelled_fields(page)]
    problems += [f"no visible focus: {html}" for html in focus_without_ring(page)]
    return problems


def axe_source_exists() -> Path:
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: `make e2e` installs it with npm ci")
    return AXE
