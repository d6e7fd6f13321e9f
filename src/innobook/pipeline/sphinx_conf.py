"""Sphinx configurations for the book's renderings, derived from ``_config.yml``.

Jupyter Book 1 derives a Sphinx configuration from ``_config.yml`` and ``_toc.yml``
(``jupyter-book config sphinx``). The build renders the book more than once from the same
executed notebooks, so it writes one ``conf.py`` per rendering under ``_build/conf/<name>/``,
with absolute paths, never into the book's own folders:

* ``en``: the English edition, as ``_config.yml`` says;
* ``zh``: the Simplified Chinese edition (Sphinx language ``zh_CN``), whose prose comes from
  the message catalogs compiled into ``_build/locale`` and whose notebook outputs are the
  Chinese ones the same run wrote (``book/_ext/innobook_i18n.py``);
* ``source``: the message-catalog extraction (``-b gettext``), which reads the notebooks'
  Markdown only.

The live preview uses the ``en`` configuration.
"""

from __future__ import annotations

from pathlib import Path

PATH_KEYS = ("html_static_path", "bibtex_bibfiles", "templates_path")
CONF = Path("_build") / "conf"
LOCALE_BUILD = Path("_build") / "locale"

#: What each rendering changes in the English configuration.
RENDERINGS = ("en", "zh", "source")


def overrides(root: Path, name: str) -> dict:
    """The settings a rendering changes (see the module docstring)."""
    if name not in RENDERINGS:
        raise ValueError(f"rendering {name!r}: use one of {', '.join(RENDERINGS)}")
    reader = "innobook_i18n.read_notebook"
    if name == "en":
        return {"innobook_editions": editions(root)}
    if name == "source":
        return {"nb_custom_formats": {".ipynb": [reader, {"edition": "source"}, False]}}
    edition = chinese_edition(root)
    words = edition.get("interface") or {}
    return {"language": "zh_CN", "innobook_editions": editions(root), "locale_dirs": [str(root / LOCALE_BUILD)],
            "nb_custom_formats": {".ipynb": [reader, {"edition": "zh"}, False]},
            "html_title": edition.get("title") or "", "author": edition.get("author") or "",
            "innobook_captions": edition.get("captions") or {},
            "bibtex_default_style": "innobook_zh",   # book/_ext/innobook_bib_zh.py
            # MyST-NB and sphinx-togglebutton have no Chinese catalog: their words are settings
            "nb_code_prompt_show": words.get("code_prompt_show", "Show code cell {type}"),
            "nb_code_prompt_hide": words.get("code_prompt_hide", "Hide code cell {type}"),
            "togglebutton_hint": words.get("toggle_show", "Click to show"),
            "togglebutton_hint_hide": words.get("toggle_hide", "Click to hide")}


EDITION = Path("locales") / "zh_CN" / "edition.yml"
#: A jieba dictionary of the book's own terms, so that the search index holds 十五五 as a word.
SEARCH_WORDS = Path("locales") / "zh_CN" / "search_words.txt"


def chinese_edition(root: Path) -> dict:
    """``locales/zh_CN/edition.yml``: whether the Chinese edition is published, its title."""
    import yaml

    path = root / EDITION
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def editions(root: Path) -> list[str]:
    """The editions the site publishes: English, and Chinese once ``published: true``."""
    return ["en", "zh"] if chinese_edition(root).get("published") else ["en"]


def sphinx_conf(root: Path, name: str = "en") -> str:
    """The text of a ``conf.py`` equivalent to what ``jupyter-book build`` uses, with absolute paths."""
    import yaml
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(user_yaml=root / "_config.yml", sourcedir=root,
                                 cli_config={"external_toc_path": (root / "_toc.yml").as_posix(),
                                             "latex_individualpages": False})
    for key in PATH_KEYS:
        if key in config:
            config[key] = [str(root / p) for p in config[key]]
    if config.get("html_favicon"):
        config["html_favicon"] = str(root / config["html_favicon"])
    config.update(overrides(root, name))
    words = root / SEARCH_WORDS
    if words.exists():   # both editions' search cuts Chinese with jieba; these are the book's words
        config["html_search_options"] = {**config.get("html_search_options", {}), "dict": str(words)}
    if name == "zh":   # a theme option Jupyter Book sets in English
        words = chinese_edition(root).get("interface") or {}
        config["html_theme_options"] = {**config.get("html_theme_options", {}),
                                        "search_bar_text": words.get("search_bar_text", "Search this book...")}
    local = (yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}) \
        .get("sphinx", {}).get("local_extensions", {}) or {}
    lines = [f"# Written by `python -m innobook` from _config.yml and _toc.yml ({name}); do not edit.",
             "import sys"]
    for folder in sorted(set(local.values())):
        lines.append(f"sys.path.insert(0, {str(root / folder)!r})")
    lines += [f"{key} = {config[key]!r}" for key in sorted(config)]
    return "\n".join(lines) + "\n"


def write_conf(root: Path, name: str, folder: Path | None = None) -> Path:
    """Write the ``conf.py`` of one rendering (only when it changed); return its folder."""
    folder = folder or root / CONF / name
    folder.mkdir(parents=True, exist_ok=True)
    text = sphinx_conf(root, name)
    path = folder / "conf.py"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return folder
