"""The link: every file's summary joined over the module graph, then the rules' project checks.

Input is one ``FileSummary`` per file (from this run or the cache) and a ``Resolver``; no tree
is ever needed, so the link is a reduce over small records and costs far less than parsing.

1. **Imports** are resolved once per (directory, specifier). A name is followed to the file that
   defines it through ``export … from`` and ``export * from`` chains; a chain that comes back
   to a file it has visited (an import cycle) stops there.
2. **Frequency** is propagated to a fixpoint: a use inside an exported function whose callers
   this file cannot see ("per call") runs per request when per-request code in any module calls
   that function — directly or through other such functions (a worklist over (file, name)).
3. **Stores**: a store counts as bounded when its own module or any module that imports it
   removes from it or checks its size.
4. Each file's linked uses (``ProjectFacts``) go to every selected rule's ``check_project``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leaklint.model.project import (
    CALL,
    GROWER,
    PER_REQUEST_RATES,
    SHRINK,
    STORE,
    FileSummary,
    Linked,
    ProjectFacts,
    Use,
)
from leaklint.pipeline.project.resolve import Resolver

_PER_CALL = "per call"
_MAX_CHAIN = 32  # re-export hops followed before giving up (a generated barrel gone wrong)


@dataclass
class ProjectGraph:
    summaries: dict[Path, FileSummary]
    display: Callable[[Path], str]  # file → display path (asked only of files in facts)
    resolver: Resolver
    _shown: dict[Path, str] = field(default_factory=dict)
    _definitions: dict[tuple[Path, str, str], tuple[Path, str] | None] = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        if path not in self._shown:
            self._shown[path] = self.display(path)
        return self._shown[path]

    # -- names across modules -----------------------------------------------------------------

    def definition(self, importer: Path, specifier: str, name: str) -> tuple[Path, str] | None:
        """The (file, name) that defines what ``importer`` imports as ``name`` from
        ``specifier``, or None when it is external or cannot be followed."""
        key = (importer.parent, specifier, name)
        if key not in self._definitions:
            target = self.resolver.resolve(importer, specifier)
            found = None
            if target is not None and target in self.summaries:
                found = self._defined_in(target, name, set())
            self._definitions[key] = found
        return self._definitions[key]

    def _defined_in(
        self, file: Path, name: str, seen: set[tuple[Path, str]]
    ) -> tuple[Path, str] | None:
        if (file, name) in seen or len(seen) > _MAX_CHAIN:
            return None  # an import cycle, or a chain too long to be real
        seen.add((file, name))
        summary = self.summaries[file]
        if name in summary.names:
            return file, name
        for reexport in summary.reexports:
            if reexport.name != name and not (reexport.name == "*" and name != "default"):
                continue
            target = self.resolver.resolve(file, reexport.specifier)
            if target is None or target not in self.summaries:
                continue
            imported = name if reexport.imported == "*" else reexport.imported
            found = self._defined_in(target, imported, seen)
            if found is not None:
                return found
        return None

    # -- the link -----------------------------------------------------------------------------

    def link(self) -> dict[Path, ProjectFacts]:
        resolved = self._resolve_uses()
        rates = self._propagate(resolved)
        bounded = self._bounded_stores(resolved)
        facts: dict[Path, ProjectFacts] = {}
        for file, uses in resolved.items():
            linked = []
            for use, (target, name) in uses:
                export = self.summaries[target].export(name)
                rate, reason = rates.get((file, use), (use.rate, use.reason))
                store_key = (target, export.store) if export is not None else (target, name)
                linked.append(
                    Linked(
                        use=use,
                        path=self.shown(target),
                        export=export,
                        rate=rate,
                        reason=reason,
                        shrunk_anywhere=store_key in bounded or (target, name) in bounded,
                    )
                )
            if linked:
                facts[file] = ProjectFacts(self.shown(file), tuple(linked))
        return facts

    def _resolve_uses(self) -> dict[Path, list[tuple[Use, tuple[Path, str]]]]:
        resolved: dict[Path, list[tuple[Use, tuple[Path, str]]]] = {}
        for file, summary in self.summaries.items():
            found = []
            for use in summary.uses:
                target = self.definition(file, use.specifier, use.imported)
                if target is not None and target[0] != file:
                    found.append((use, target))
            if found:
                resolved[file] = found
        return resolved

    def _propagate(
        self, resolved: dict[Path, list[tuple[Use, tuple[Path, str]]]]
    ) -> dict[tuple[Path, Use], tuple[str, str]]:
        """Per-request callers in other modules make an exported function's uses per request.

        A worklist to a fixpoint: each (file, exported function) is marked at most once, so
        cycles of calls between modules end."""
        callers_of: dict[tuple[Path, str], list[tuple[Path, Use]]] = defaultdict(list)
        uses_in: dict[tuple[Path, str], list[Use]] = defaultdict(list)
        for file, summary in self.summaries.items():
            for use in summary.uses:
                if use.caller:
                    uses_in[(file, use.caller)].append(use)
        for file, uses in resolved.items():
            for use, target in uses:
                if use.action == CALL:
                    callers_of[target].append((file, use))
        rates: dict[tuple[Path, Use], tuple[str, str]] = {}
        marked: set[tuple[Path, str]] = set()
        work = [
            (file, use, use.rate)
            for file, uses in resolved.items()
            for use, _ in uses
            if use.action == CALL and use.rate in PER_REQUEST_RATES
        ]
        targets = {(file, use): target for file, uses in resolved.items() for use, target in uses}
        while work:
            file, use, rate = work.pop()
            target = targets.get((file, use))
            if target is None or target in marked:
                continue
            marked.add(target)
            where = f"{self.shown(file)}:{use.span.line}"
            reason = f"runs {rate}: `{target[1]}()` is called {rate} from {where}"
            for inner in uses_in.get(target, ()):
                if inner.rate != _PER_CALL or (target[0], inner) in rates:
                    continue
                rates[(target[0], inner)] = (rate, reason)
                if inner.action == CALL:
                    work.append((target[0], inner, rate))
        return rates

    def _bounded_stores(
        self, resolved: dict[Path, list[tuple[Use, tuple[Path, str]]]]
    ) -> set[tuple[Path, str]]:
        bounded: set[tuple[Path, str]] = set()
        for file, summary in self.summaries.items():
            for export in summary.exports:
                if export.kind in (STORE, GROWER) and export.shrunk:
                    bounded.add((file, export.store or export.name))
        for uses in resolved.values():
            for use, target in uses:
                if use.action == SHRINK:
                    bounded.add(target)
        return bounded
