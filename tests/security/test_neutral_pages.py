"""He looks at the site she uses without signing in (a bookmark, the address in her browser's
history, the schema any visitor can read): the public pages and the API's schema and docs say
what to do on them, never what the site is for."""

import re

import pytest
import yaml
from django.test import Client
from django.urls import reverse

# Words that would tell a reader what the site is for. "diary", "notes" and "contacts" are
# the product's own plain words and stay.
GIVEAWAYS = (
    "evidence",
    "stalk",
    "harass",
    "abuse",
    "abusive",
    "victim",
    "perpetrator",
    "domestic",
    "police",
    "crime",
    "court",
    "witness",
    "restraining",
    "safety",
)
# The schema is an interface that stays put (docs: DESIGN "Interfaces that stay put"): its
# paths, field names and enum values are contracts, and the fields' titles are the labels her
# own forms show. Its prose (what the API is, what each operation does) is held to the words
# that say nothing of what it is for.
SCHEMA_PROSE_GIVEAWAYS = (
    "evidence",
    "stalk",
    "harass",
    "abus",
    "victim",
    "perpetrator",
    "domestic",
    "police",
    "crime",
    "court",
)
NEVER_IN_THE_SCHEMA = ("stalk", "harass", "abus", "victim", "perpetrator", "domestic")

PUBLIC_PAGES = (
    reverse("account_login"),
    reverse("account_signup"),
    reverse("account_reset_password"),
    "/api/docs/",
    "/w/",
    "/w/a-link-that-does-not-work",
)


def what_a_reader_sees(html: str) -> str:
    """The page without the addresses of its own files (/static/diary/site.css names the code's
    folder, not the site's purpose): its text, title and every other attribute."""
    return re.sub(r'\s(?:href|src|action)="[^"]*"', "", html).lower()


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_public_page_does_not_say_what_the_site_is_for(url: str) -> None:
    response = Client().get(url)
    assert response.status_code in (200, 404), url
    page = what_a_reader_sees(response.content.decode())
    assert "<title>" in page
    for word in GIVEAWAYS:
        assert word not in page, (url, word)


@pytest.mark.django_db
def test_the_schema_describes_the_endpoints_not_the_purpose() -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    schema = yaml.safe_load(text)
    assert schema["info"]["title"] == "Notes API"

    for word in NEVER_IN_THE_SCHEMA:
        assert word not in text.lower(), word
    info = f"{schema['info']['title']} {schema['info']['description']}".lower()
    operations = [
        operation
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
    ]
    prose = [info]
    for operation in operations:
        prose += [operation.get("summary", ""), operation.get("description", "")]
        for answer in operation.get("responses", {}).values():
            prose.append(answer.get("description", ""))
    for line in prose:
        for word in SCHEMA_PROSE_GIVEAWAYS:
            assert word not in line.lower(), (word, line)
    assert len(prose) > 50  # every operation was read
