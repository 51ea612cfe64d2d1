"""Page tests run in both languages every page ships in."""

LANGUAGES = ["en", "zh-hans"]


def speak(world, role: str, language: str) -> None:
    """Make `role`'s user read the site in `language` (their profile choice wins over the browser)."""
    user = world.user(role)
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
