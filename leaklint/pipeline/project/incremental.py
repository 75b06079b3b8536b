"""Relinking after an edit: only the part of the project the changed files are connected to.

The link (``link.project_findings``) is a function of the summaries. What it says about one
file — its findings, the notes on its own findings, the verdicts on its conditional ones, the
directives they answer — is computed from the summaries of files reached from it by resolved
specifiers only: a use's target and the re-export chain to it, the callers whose frequency
propagates into it or decides that it runs once, the modules that shrink a store it grows,
the helper a checkout is handed to, the sibling methods of a prototype, the modules handed on
whole. Every one of those is a specifier some summary names (``specifiers_of``) resolved to a
file, so each connected component of the graph of those edges links on its own, and a file's
outputs change only when a file of its component changes.

After an edit, then, the link is recomputed over the components that hold a changed file —
with the changed files' old edges (what they were connected to) and new ones (what they are
connected to now) both counted — and every other component's outputs are taken from the
previous run. The previous run's edges also answer the resolver, which is valid while the
project's files and the configuration files it read are as they were; a run in which files
were added or removed, or configuration changed, links everything again (``link_all``).

The state kept for this (``LinkState``) is each project file's summary digest, in the order of
the sorted absolute paths, and each summarised file's edges as (specifier, index of the
target in that order, or -1 for one outside the project or none); no summary is decoded to
find what changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leaklint.model.decoding import DecodeError, expect_list, expect_object, expect_str
from leaklint.model.project import FileSummary
from leaklint.model.results import display_path
from leaklint.model.settings import Settings
from leaklint.pipeline.project.link import ProjectRun, project_findings, project_root, stat_of
from leaklint.pipeline.project.resolve import Resolver
from leaklint.rules import Rule

# A file's edges: (specifier, index of the file it resolves to in the run's order; -1: none).
Edges = list[tuple[str, int]]
ProfileFor = Callable[[Path], tuple[Settings, list[type[Rule]]]]
# Decodes the summaries of the files given (cached dicts or decoded), in their order; None
# when one had to be made again and came out different from what its digest said.
Decode = Callable[[dict[Path, Any]], dict[Path, FileSummary] | None]


@dataclass
class LinkState:
    """What the last link was computed from: where modules resolved from, each file's
    summary digest ("" for none) and each summarised file's edges, by index into the sorted
    absolute paths of the project."""

    root: str
    digests: list[str]
    edges: dict[int, Edges]

    def to_cache(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "digests": self.digests,
            "edges": [
                [importer, specifier, target]
                for importer, found in sorted(self.edges.items())
                for specifier, target in found
            ],
        }

    @classmethod
    def from_cache(cls, data: Any, files: int) -> LinkState | None:
        """The inverse of ``to_cache`` for a project of ``files`` files; None (link
        everything again) for anything of another shape."""
        try:
            return cls._decode(data, files)
        except (DecodeError, ValueError, TypeError):
            return None

    @classmethod
    def _decode(cls, data: Any, files: int) -> LinkState:
        data = expect_object(data, ("root", "digests", "edges"), "link state")
        digests = expect_list(data["digests"], "digests")
        if len(digests) != files or not all(type(d) is str for d in digests):
            raise DecodeError(f"link state: expected {files} digests")
        edges: dict[int, Edges] = {}
        for item in expect_list(data["edges"], "edges"):
            # Checked inline: a large project has tens of thousands of edges, read by every
            # run after an edit.
            if type(item) is not list or len(item) != 3:
                raise DecodeError("edge: expected [importer, specifier, target]")
            importer, specifier, target = item
            if not (
                type(importer) is int
                and type(target) is int
                and type(specifier) is str
                and 0 <= importer < files
                and -1 <= target < files
            ):
                raise DecodeError("edge: expected two file indexes and a specifier")
            edges.setdefault(importer, []).append((specifier, target))
        return cls(expect_str(data["root"], "root"), list(digests), edges)


def file_order(absolute: dict[Path, str]) -> list[str]:
    """The project's files as the link state indexes them: sorted absolute paths
    (``absolute``: each file's, worked out once per run)."""
    return sorted(absolute.values())


def specifiers_of(summary: FileSummary) -> list[str]:
    """Every specifier the link may resolve for this file (``ProjectGraph`` resolves no
    other): its uses' and their release helpers', its re-exports', its prototype methods'
    and the packages whose names it did not follow."""
    found = {use.specifier for use in summary.uses}
    found.update(use.helper.split("\x00", 1)[0] for use in summary.uses if use.helper)
    found.update(reexport.specifier for reexport in summary.reexports)
    found.update(method.specifier for method in summary.methods)
    found.update(summary.unfollowed)
    return sorted(found)


def edges_of(resolver: Resolver, file: Path, summary: FileSummary, index: dict[str, int]) -> Edges:
    edges = []
    for specifier in specifiers_of(summary):
        target = resolver.resolve(file, specifier)
        edges.append((specifier, index.get(str(target), -1) if target is not None else -1))
    return edges


def link_all(
    paths: list[Path],
    summaries: dict[Path, FileSummary],
    absolute: dict[Path, str],
    order: list[str],
    digests: list[str],
    settings: Settings,
    profile_for: ProfileFor,
) -> tuple[ProjectRun, LinkState]:
    """The whole link, and the state a later run relinks from."""
    resolver = Resolver(project_root(paths, settings))
    run = project_findings(paths, summaries, settings, profile_for, resolver)
    index = {path: i for i, path in enumerate(order)}
    edges = {
        index[absolute[file]]: edges_of(resolver, file, summary, index)
        for file, summary in summaries.items()
    }
    _record_inputs(run, resolver)
    return run, LinkState(str(resolver.root), list(digests), edges)


def relink(
    previous: ProjectRun,
    state: LinkState,
    paths: list[Path],
    summaries: dict[Path, Any],
    absolute: dict[Path, str],
    order: list[str],
    digests: list[str],
    decode: Decode,
    settings: Settings,
    profile_for: ProfileFor,
) -> tuple[ProjectRun, LinkState] | None:
    """The link after some summaries changed, recomputed over the components that hold the
    changed files, the rest taken from ``previous`` (computed from ``state``, for the same
    files, files asked for and configuration). ``summaries``: every file's summary, decoded
    or as cached, in the order the whole link would take them (which caller is named first
    depends on it). None when a summary to decode turned out not to be what its digest said:
    the caller links everything."""
    index = {path: i for i, path in enumerate(order)}
    resolver = Resolver(Path(state.root))
    resolver.remember(_answers(state, order))
    by_index = {index[absolute[file]]: file for file in summaries}
    changed = [i for i, digest in enumerate(digests) if digest != state.digests[i]]
    fresh = decode({by_index[i]: summaries[by_index[i]] for i in changed if i in by_index})
    if fresh is None:
        return None
    components = _Components(len(order))
    for importer, found in state.edges.items():
        components.join(importer, found)  # a changed file's old edges count too
    for file, summary in fresh.items():
        components.join(index[absolute[file]], edges_of(resolver, file, summary, index))
    touched = {components.find(i) for i in changed}
    region = [i for i in range(len(order)) if components.find(i) in touched]
    inside = set(region)
    rest = decode({f: summaries[f] for i, f in by_index.items() if i in inside and f not in fresh})
    if rest is None:
        return None
    decoded = {**fresh, **rest}
    ordered = {file: decoded[file] for file in summaries if file in decoded}
    asked = [path for path in paths if index[absolute[path]] in inside]
    run = project_findings(asked, ordered, settings, profile_for, resolver)
    edges = {i: found for i, found in state.edges.items() if i not in inside}
    for file, summary in ordered.items():
        edges[index[absolute[file]]] = edges_of(resolver, file, summary, index)
    _record_inputs(run, resolver)
    shown = {display_path(Path(order[i])) for i in region}
    return _merged(previous, run, shown), LinkState(state.root, list(digests), edges)


def components(state: LinkState) -> list[list[int]]:
    """The connected components of the state's edge graph, as file indexes in order, each
    component listed once, by its first file: what the cache stores summaries by, so that a
    relink reads only the summaries of its own components."""
    found = _Components(len(state.digests))
    for importer, edges in state.edges.items():
        found.join(importer, edges)
    members: dict[int, list[int]] = {}
    for i in range(len(state.digests)):
        members.setdefault(found.find(i), []).append(i)
    return list(members.values())


def _record_inputs(run: ProjectRun, resolver: Resolver) -> None:
    """Every configuration file the resolver read, the edges' resolutions included (a later
    run answers from those edges only while these files are as they were)."""
    run.inputs = [(path, *stat_of(path)) for path in resolver.configuration_read()]


def _answers(state: LinkState, order: list[str]) -> dict[tuple[str, str], str | None]:
    """The resolver's answers the edges record, by (importer's directory, specifier)."""
    answers: dict[tuple[str, str], str | None] = {}
    for importer, found in state.edges.items():
        directory = os.path.dirname(order[importer])
        for specifier, target in found:
            answers[(directory, specifier)] = order[target] if target >= 0 else None
    return answers


def _merged(previous: ProjectRun, run: ProjectRun, shown: set[str]) -> ProjectRun:
    """``previous`` with everything it said about the files shown as ``shown`` replaced by
    what ``run`` says (it was computed for the component that holds them)."""
    inputs = {path: (mtime, size) for path, mtime, size in previous.inputs}
    inputs.update((path, (mtime, size)) for path, mtime, size in run.inputs)
    return ProjectRun(
        findings=[f for f in previous.findings if f.path not in shown] + run.findings,
        answered={a for a in previous.answered if a[0] not in shown} | run.answered,
        inputs=[(path, *inputs[path]) for path in sorted(inputs)],
        notes=[n for n in previous.notes if n[1] not in shown] + run.notes,
        verdicts=[v for v in previous.verdicts if v.path not in shown] + run.verdicts,
    )


class _Components:
    """Union-find over file indexes."""

    def __init__(self, count: int) -> None:
        self.parent = list(range(count))

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def join(self, importer: int, edges: Edges) -> None:
        root = self.find(importer)
        for _, target in edges:
            if target >= 0:
                other = self.find(target)
                if other != root:
                    self.parent[other] = root
