"""A rough browser family and system from a User-Agent, enough to spot an unexpected device."""

BROWSERS = (
    ("SamsungBrowser", "Samsung Internet"),
    ("Edg", "Edge"),
    ("OPR", "Opera"),
    ("Firefox", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def browser_family(user_agent: str) -> str:
    agent = user_agent or ""
    browser = next((name for key, name in BROWSERS if key in agent), "Unknown browser")
    system = next((name for key, name in SYSTEMS if key in agent), "unknown system")
    return f"{browser} on {system}"[:80]
