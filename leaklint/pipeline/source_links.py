"""Links from a report to the code it talks about: GitHub when the checkout has a GitHub
remote, else the editor.

The repository is read from ``.git`` itself, never by running git (leaklint executes nothing):
``.git`` is a directory, or a file ``gitdir: …`` in a worktree or submodule; the remote is
``[remote "origin"] url`` of its config, in any of the forms git accepts for github.com (https
with or without credentials, ``git@github.com:owner/repo``, ``ssh://``, ``git://``); the commit
is what HEAD names, through a loose ref or ``packed-refs``. A blob URL pins that commit, so a
link still shows the line it was made for after the branch moves on.

Without one, links open the file in an editor: ``vscode://file/<absolute path>:<line>:<col>``,
or ``file://`` (which a browser can show, but not at a line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import quote

MAX_SYMBOLIC_REFS = 5  # git itself gives up after a few levels of "ref: ref: …"
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# github.com in every form a remote URL takes; credentials and ports are dropped.
_GITHUB_REMOTE = re.compile(
    r"^(?:(?:https?|git|ssh|git\+ssh|git\+https)://"
    r"(?:[^@/]+@)?(?:www\.|ssh\.)?github\.com(?::\d+)?/"
    r"|(?:[^@/:]+@)?github\.com:/?)"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/(?P<repo>[A-Za-z0-9._-]+?)"
    r"(?:\.git)?/?$",
    re.IGNORECASE,
)
_SECTION = re.compile(r'^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(.*)$')
_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*?))?\s*$")


class LinkStyle(str, Enum):
    AUTO = "auto"  # GitHub when there is a GitHub remote, else VS Code
    GITHUB = "github"
    VSCODE = "vscode"
    FILE = "file"
    NONE = "none"


@dataclass(frozen=True)
class GitHubCheckout:
    root: Path  # the work tree's top level
    web_url: str  # https://github.com/owner/repo
    commit: str

    def blob_url(self, relative: str) -> str:
        return f"{self.web_url}/blob/{self.commit}/{quote(relative)}"


@dataclass(frozen=True)
class SourceLinks:
    """Turns a finding's (display path, line, column) into a URL, or None."""

    style: LinkStyle
    github: GitHubCheckout | None = None

    def url(self, path: str, line: int, column: int = 1) -> str | None:
        template = self.template(path)
        return template.format(line=line, col=column) if template else None

    def template(self, path: str) -> str | None:
        """The URL with ``{line}`` and ``{col}`` left to fill in (the HTML fills them in).

        Paths are percent-encoded, braces included, so the only braces are the placeholders.
        """
        if self.style is LinkStyle.NONE:
            return None
        absolute = Path(path).resolve()
        if self.github is not None:
            relative = _inside(absolute, self.github.root)
            if relative is not None:
                return self.github.blob_url(relative) + "#L{line}"
        if self.style is LinkStyle.FILE:
            return absolute.as_uri()
        # VS Code, and GitHub for a file outside the checkout (another repository, say).
        return "vscode://file" + quote(absolute.as_posix(), safe="/:") + ":{line}:{col}"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "style": "github" if self.github else self.style.value,
            "repository": self.github.web_url if self.github else None,
            "commit": self.github.commit if self.github else None,
        }


def source_links(style: LinkStyle, start: Path) -> SourceLinks:
    """The links for files under ``start``: ``auto`` and ``github`` look for a GitHub checkout
    (``github`` without one falls back to VS Code links, and says nothing: a report is
    still worth writing)."""
    if style in (LinkStyle.AUTO, LinkStyle.GITHUB):
        checkout = find_github_checkout(start)
        if checkout is not None:
            return SourceLinks(style, checkout)
        return SourceLinks(LinkStyle.VSCODE)
    return SourceLinks(style)


def _inside(path: Path, root: Path) -> str | None:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


# --- reading .git -----------------------------------------------------------------------------


def find_github_checkout(start: Path) -> GitHubCheckout | None:
    """The GitHub checkout holding ``start``, from the nearest ``.git`` above it."""
    start = start.resolve()
    for directory in (start, *start.parents):
        dot_git = directory / ".git"
        if dot_git.exists():
            return _checkout(directory, dot_git)
    return None


def _checkout(root: Path, dot_git: Path) -> GitHubCheckout | None:
    git_dir = _git_dir(dot_git)
    if git_dir is None:
        return None
    common = _common_dir(git_dir)
    url = remote_url(_read(common / "config") or "", "origin")
    web = github_web_url(url) if url else None
    commit = head_commit(git_dir, common)
    if web is None or commit is None:
        return None
    return GitHubCheckout(root, web, commit)


def _read(path: Path, limit: int = 1 << 20) -> str | None:
    """A small text file of git's, or None (missing, unreadable, or not a regular file)."""
    try:
        if not path.is_file():
            return None
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _git_dir(dot_git: Path) -> Path | None:
    if dot_git.is_dir():
        return dot_git
    text = _read(dot_git)
    if text is None or not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    return target if target.is_absolute() else (dot_git.parent / target).resolve()


def _common_dir(git_dir: Path) -> Path:
    """A linked worktree keeps HEAD in its own git dir, config and refs in the common one."""
    text = _read(git_dir / "commondir")
    if not text or not text.strip():
        return git_dir
    common = Path(text.strip())
    return common if common.is_absolute() else (git_dir / common).resolve()


def head_commit(git_dir: Path, common: Path) -> str | None:
    """The commit HEAD names: detached (a hash), or through refs/… or packed-refs."""
    value = (_read(git_dir / "HEAD") or "").strip()
    for _ in range(MAX_SYMBOLIC_REFS):
        if _SHA.match(value):
            return value
        if not value.startswith("ref:"):
            return None
        ref = value[len("ref:") :].strip()
        if not ref.startswith("refs/") or ".." in ref.split("/"):
            return None  # never read outside the git directory
        loose = _read(git_dir / ref) or _read(common / ref)
        value = (loose or packed_ref(_read(common / "packed-refs") or "", ref) or "").strip()
    return None


def packed_ref(text: str, ref: str) -> str | None:
    for line in text.splitlines():
        if line.startswith(("#", "^")):
            continue
        sha, _, name = line.partition(" ")
        if name.strip() == ref:
            return sha
    return None


def remote_url(config: str, remote: str) -> str | None:
    """``[remote "<remote>"] url`` from a git config file's text (the first url wins)."""
    in_section = False
    for raw in config.splitlines():
        line = _strip_comment(raw)
        section = _SECTION.match(line)
        if section:
            name, sub, rest = section.groups()
            in_section = name.lower() == "remote" and sub == remote
            line = rest
            if not line.strip():
                continue
        if not in_section:
            continue
        pair = _KEY_VALUE.match(line)
        if pair and pair.group(1).lower() == "url" and pair.group(2):
            return _unquote(pair.group(2))
    return None


def _strip_comment(line: str) -> str:
    """Drop a ``#`` or ``;`` comment outside double quotes."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            quoted = not quoted
        elif char in "#;" and not quoted:
            return line[:index]
    return line


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value.replace('\\"', '"').replace("\\\\", "\\")


def github_web_url(remote: str) -> str | None:
    """``git@github.com:owner/repo.git`` (or any other github.com form) →
    ``https://github.com/owner/repo``; None for other hosts."""
    match = _GITHUB_REMOTE.match(remote.strip())
    if match is None or match.group("repo") in (".", ".."):
        return None
    return f"https://github.com/{match.group('owner')}/{match.group('repo')}"
