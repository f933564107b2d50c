"""The accessibility checks the journeys rely on find what they look for (so a clean journey
means a clean page, not a check that never fires)."""

from playwright.sync_api import Page

from tests.e2e import a11y

FLAWED = """<!DOCTYPE html><html lang="en"><head><title>Flawed</title>
<style>
  .faint { color: #bbb; background: #fff; }
  #plain:focus, #plain:focus-visible { outline: none; }
</style></head>
<body><main>
  <h1>Flawed</h1>
  <p class="faint">Text too faint to read.</p>
  <label for="named">Named</label><input id="named">
  <input id="unnamed" placeholder="A placeholder is not a label">
  <button id="plain">No ring</button>
  <a href="#top">A link</a>
</main></body></html>"""

CLEAN = """<!DOCTYPE html><html lang="en"><head><title>Clean</title>
<style>:focus-visible { outline: 3px solid #1a5fb4; }</style></head>
<body><main>
  <h1>Clean</h1>
  <label for="named">Named</label><input id="named">
  <button>A ring</button>
</main></body></html>"""


def test_the_checks_report_contrast_missing_labels_and_invisible_focus(page: Page):
    page.set_content(FLAWED)
    problems = a11y.check_page(page)
    assert any(line.startswith("axe serious: color-contrast") for line in problems), problems
    assert any("no label:" in line and 'id="unnamed"' in line for line in problems), problems
    assert any("no visible focus:" in line and 'id="plain"' in line for line in problems)
    assert not any('id="named"' in line for line in problems)
    assert not any("A link" in line for line in problems), "the link keeps its default ring"


def test_the_checks_pass_a_clean_page(page: Page):
    page.set_content(CLEAN)
    assert a11y.check_page(page) == []
