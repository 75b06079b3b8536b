"""Links from the audit to the code: GitHub blob URLs read from .git without git, else editors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leaklint.pipeline.source_links import (
    LinkStyle,
    find_github_checkout,
    github_web_url,
    head_commit,
    remote_url,
    source_links,
)
from tests.conftest import write
from tests.test_audit import embedded_data

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"


def fake_git(root: Path, url: str | None, *, head: str = "ref: refs/heads/main\n") -> Path:
    """A .git directory as git leaves it, written by hand: leaklint never runs git."""
    git = root / ".git"
    (git / "refs/heads").mkdir(parents=True)
    (git / "HEAD").write_text(head)
    remote = f'[remote "origin"]\n\turl = {url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n'
    (git / "config").write_text("[core]\n\trepositoryformatversion = 0\n" + (remote if url else ""))
    (git / "refs/heads/main").write_text(SHA + "\n")
    return git


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/shop.git",
        "https://github.com/acme/shop",
        "https://github.com/acme/shop/",
        "http://github.com/acme/shop.git",
        "https://x-access-token:ghs_secret@github.com/acme/shop.git",
        "https://www.github.com/acme/shop.git",
        "git@github.com:acme/shop.git",
        "git@github.com:acme/shop",
        "github.com:acme/shop.git",
        "ssh://git@github.com/acme/shop.git",
        "ssh://git@ssh.github.com:443/acme/shop.git",
        "git://github.com/acme/shop.git",
        "git+ssh://git@github.com/acme/shop.git",
    ],
)
def test_every_github_remote_form(url: str) -> None:
    assert github_web_url(url) == "https://github.com/acme/shop"


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/acme/shop.git",
        "git@bitbucket.org:acme/shop.git",
        "https://github.com.evil.example/acme/shop.git",
        "https://evil.example/github.com/acme/shop.git",
        "/srv/git/shop.git",
        "https://github.com/acme",
        "https://github.com/acme/shop/tree/main",
    ],
)
def test_other_remotes_are_not_github(url: str) -> None:
    assert github_web_url(url) is None


def test_remote_url_reads_the_origin_section_only() -> None:
    config = (
        '[remote "upstream"]\n\turl = git@github.com:other/shop.git\n'
        '[remote "origin"] # ours\n\tURL = "git@github.com:acme/shop.git" ; quoted\n'
        '[branch "main"]\n\tremote = origin\n'
    )
    assert remote_url(config, "origin") == "git@github.com:acme/shop.git"
    assert remote_url(config, "missing") is None


def test_blob_url_from_a_checkout(project: Path) -> None:
    fake_git(project, "git@github.com:acme/shop.git")
    write(project / "src/my jobs/poll#1.js", "x\n")
    links = source_links(LinkStyle.AUTO, project)
    assert links.github is not None and links.github.commit == SHA
    assert links.url("src/my jobs/poll#1.js", 12, 3) == (
        f"https://github.com/acme/shop/blob/{SHA}/src/my%20jobs/poll%231.js#L12"
    )


def test_commit_from_packed_refs_and_detached_head(project: Path) -> None:
    git = fake_git(project, "https://github.com/acme/shop")
    (git / "refs/heads/main").unlink()
    (git / "packed-refs").write_text(
        "# pack-refs with: peeled fully-peeled sorted\n"
        f"{OTHER_SHA} refs/heads/dev\n{SHA} refs/heads/main\n^{OTHER_SHA}\n"
    )
    assert head_commit(git, git) == SHA
    (git / "HEAD").write_text(OTHER_SHA + "\n")
    assert head_commit(git, git) == OTHER_SHA


def test_a_ref_outside_the_git_directory_is_not_followed(project: Path) -> None:
    git = fake_git(project, "https://github.com/acme/shop", head="ref: refs/../../secret\n")
    write(project / "secret", SHA + "\n")
    assert head_commit(git, git) is None


def test_linked_worktree_reads_head_from_its_gitdir_and_config_from_the_common_dir(
    tmp_path: Path,
) -> None:
    main = tmp_path / "main"
    git = fake_git(main, "git@github.com:acme/shop.git")
    worktree_git = git / "worktrees/feature"
    worktree_git.mkdir(parents=True)
    (worktree_git / "HEAD").write_text("ref: refs/heads/feature\n")
    (worktree_git / "commondir").write_text("../..\n")
    (git / "refs/heads/feature").write_text(OTHER_SHA + "\n")
    feature = tmp_path / "feature"
    feature.mkdir()
    (feature / ".git").write_text(f"gitdir: {worktree_git}\n")
    checkout = find_github_checkout(feature / "src")
    assert checkout is not None
    assert (checkout.root, checkout.web_url, checkout.commit) == (
        feature,
        "https://github.com/acme/shop",
        OTHER_SHA,
    )


def test_without_a_github_remote_links_open_the_editor(project: Path) -> None:
    fake_git(project, "git@gitlab.com:acme/shop.git")
    write(project / "src/a b.js", "x\n")
    links = source_links(LinkStyle.AUTO, project)
    absolute = (project / "src/a b.js").resolve().as_posix()
    assert links.url("src/a b.js", 4, 7) == f"vscode://file{absolute.replace(' ', '%20')}:4:7"
    assert source_links(LinkStyle.FILE, project).url("src/a b.js", 4) == (
        (project / "src/a b.js").resolve().as_uri()
    )
    assert source_links(LinkStyle.NONE, project).url("src/a b.js", 4) is None


def test_no_git_at_all(project: Path) -> None:
    write(project / "a.js", "x\n")
    links = source_links(LinkStyle.GITHUB, project)  # asked for, but there is no checkout
    assert links.github is None
    assert links.url("a.js", 1, 1).startswith("vscode://file/")


def test_audit_html_links_each_finding_to_github(project: Path, run_cli) -> None:
    fake_git(project, "https://github.com/acme/shop.git")
    write(project / "src/jobs/poll.js", "function f() {\n  leaked = 1;\n}\n")
    result = run_cli("audit", "--html", "r.html", "src")
    assert result.exit_code == 0, result.output
    data = embedded_data((project / "r.html").read_text(encoding="utf-8"))
    (link,) = data["links"]
    assert link == f"https://github.com/acme/shop/blob/{SHA}/src/jobs/poll.js#L{{line}}"
    assert data["rows"][0][2] == 2  # the script fills {line} with the row's line
    summary = run_cli("audit", "--html", "r.html", "--format", "json", "src").output
    assert '"repository": "https://github.com/acme/shop"' in summary


def test_audit_html_editor_links_and_the_option(project: Path, run_cli) -> None:
    write(project / "a.js", "leaked = 1;\n")
    run_cli("audit", "--html", "r.html", ".")
    data = embedded_data((project / "r.html").read_text(encoding="utf-8"))
    assert re.fullmatch(r"vscode://file/.+/a\.js:\{line\}:\{col\}", data["links"][0])
    run_cli("audit", "--html", "r.html", "--source-links", "file", ".")
    data = embedded_data((project / "r.html").read_text(encoding="utf-8"))
    assert data["links"] == [(project / "a.js").resolve().as_uri()]
    run_cli("audit", "--html", "r.html", "--source-links", "none", ".")
    assert embedded_data((project / "r.html").read_text(encoding="utf-8"))["links"] == [""]


def test_source_link_styles_in_the_cli_match_the_enum() -> None:
    from leaklint.cli import SOURCE_LINK_STYLES

    assert tuple(style.value for style in LinkStyle) == SOURCE_LINK_STYLES
