"""The link: every file's summary joined over the module graph, then the rules' project checks.

Input is one ``FileSummary`` per file (from this run or the cache) and a ``Resolver``; no tree
is ever needed, so the link is a reduce over small records and costs far less than parsing.

1. **Imports** are resolved once per (directory, specifier). A name is followed to the file that
   defines it through ``export … from`` and ``export * from`` chains; a chain that comes back
   to a file it has visited (an import cycle) stops there.
2. **Frequency** is propagated to a fixpoint: a use inside an exported function whose callers
   this file cannot see ("per call") runs per request when per-request code in any module calls
   that function — directly or through other such functions (a worklist over (file, name)).
3. **Once**, the other way round, to a least fixpoint: an exported function (or an exported
   class's constructor) runs once when it has callers in the project and every one runs once —
   at module level or in start-up code, outside loops, or inside another exported function
   that itself runs once. A caller that runs per call, one this file passes the function to
   (``PASS``: `app.use(f)`, `class B extends A`, a re-export by value), and a cycle of calls
   keep it unproven, so an exported API nobody in the project calls keeps its verdict.
4. **Stores**: a store counts as bounded when its own module or any module that imports it
   removes from it or checks its size.
5. Each file's linked uses (``ProjectFacts``) go to every selected rule's ``check_project``.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leaklint.model.project import (
    CALL,
    CONSTRUCTOR_PREFIX,
    GROWER,
    HELPER_SEPARATOR,
    NEW,
    PASS,
    PER_REQUEST_RATES,
    RELEASER,
    SHRINK,
    STORE,
    FileSummary,
    Linked,
    ProjectFacts,
    Use,
)
from leaklint.pipeline.project.resolve import Resolver

_PER_CALL = "per call"
_ONCE = "once per process"
_PER_INSTANCE = "once per instance"
# Who made a once-running export's first call: (calling file, the use), for messages.
Witness = tuple[Path, Use]
_MAX_CHAIN = 32  # re-export hops followed before giving up (a generated barrel gone wrong)


@dataclass
class ProjectGraph:
    summaries: dict[Path, FileSummary]
    display: Callable[[Path], str]  # file → display path (asked only of files in facts)
    resolver: Resolver
    _shown: dict[Path, str] = field(default_factory=dict)
    _definitions: dict[tuple[str, str, str], tuple[Path, str] | None] = field(default_factory=dict)
    _directories: dict[Path, str] = field(default_factory=dict)
    # (file, exported name or "new:<Class>") → a caller, for every export that runs once.
    once: dict[tuple[Path, str], Witness] = field(default_factory=dict)
    # (file, exported name) → (rate, calling file, the use), for every export that per-request
    # code of another module calls (the first found).
    per_request: dict[tuple[Path, str], tuple[str, Path, Use]] = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        if path not in self._shown:
            self._shown[path] = self.display(path)
        return self._shown[path]

    # -- names across modules -----------------------------------------------------------------

    def definition(self, importer: Path, specifier: str, name: str) -> tuple[Path, str] | None:
        """The (file, name) that defines what ``importer`` imports as ``name`` from
        ``specifier``, or None when it is external or cannot be followed."""
        key = (self._directory(importer), specifier, name)
        if key not in self._definitions:
            target = self.resolver.resolve(importer, specifier)
            found = None
            if target is not None and target in self.summaries:
                found = self._defined_in(target, name, set())
            self._definitions[key] = found
        return self._definitions[key]

    def _directory(self, importer: Path) -> str:
        """``importer``'s directory, worked out once per file (a Path's ``parent`` is a new
        Path per call, and the link asks for every use of every file)."""
        directory = self._directories.get(importer)
        if directory is None:
            directory = self._directories[importer] = os.path.dirname(importer)
        return directory

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
        self.once = self._runs_once(resolved)
        bounded = self._bounded_stores(resolved)
        facts: dict[Path, ProjectFacts] = {}
        for file, uses in resolved.items():
            linked = []
            for use, (target, name) in uses:
                if use.action == PASS:
                    continue  # only the link's once-analysis reads these
                export = self.summaries[target].export(name)
                rate, reason = rates.get((file, use)) or self._once_rate(file, use)
                store_key = (target, export.store) if export is not None else (target, name)
                linked.append(
                    Linked(
                        use=use,
                        path=self.shown(target),
                        export=export,
                        rate=rate,
                        reason=reason,
                        shrunk_anywhere=store_key in bounded or (target, name) in bounded,
                        released_by_helper=self._released_by_helper(file, use),
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
                # "Base.getClient": the method of an imported class (`this.getClient()` in a
                # subclass), found where the class is defined, whatever it is re-exported as.
                name, _, member = use.imported.partition(".")
                target = self.definition(file, use.specifier, name)
                if target is not None and target[0] != file:
                    found.append((use, (target[0], f"{target[1]}.{member}") if member else target))
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
        for file, uses in resolved.items():
            for use, target in uses:
                if use.action == NEW and use.rate in PER_REQUEST_RATES:
                    self._constructed_per_request(target, use.rate, file, use)
        while work:
            file, use, rate = work.pop()
            target = targets.get((file, use))
            if target is None or target in marked:
                continue
            marked.add(target)
            self.per_request.setdefault(target, (rate, file, use))
            where = f"{self.shown(file)}:{use.span.line}"
            reason = f"runs {rate}: `{target[1]}()` is called {rate} from {where}"
            for inner in uses_in.get(target, ()):
                if inner.rate != _PER_CALL or (target[0], inner) in rates:
                    continue
                rates[(target[0], inner)] = (rate, reason)
                built = targets.get((target[0], inner)) if inner.action == NEW else None
                if built is not None:
                    self._constructed_per_request(built, rate, target[0], inner)
                if inner.action == CALL:
                    work.append((target[0], inner, rate))
        return rates

    def _constructed_per_request(
        self, target: tuple[Path, str], rate: str, file: Path, use: Use
    ) -> None:
        """`new Cache()` made by per-request code: the class's constructor runs per request."""
        key = (target[0], CONSTRUCTOR_PREFIX + target[1])
        self.per_request.setdefault(key, (rate, file, use))

    def _released_by_helper(self, file: Path, use: Use) -> bool:
        """A checkout handed to a function of another module that releases that argument."""
        return any(
            self._releases(file, helper) for helper in use.helper.split(HELPER_SEPARATOR) if helper
        )

    def _releases(self, file: Path, helper: str) -> bool:
        specifier, name, index = helper.split("\x00")
        found = self.definition(file, specifier, name)
        export = self.summaries[found[0]].export(found[1]) if found is not None else None
        return export is not None and export.kind == RELEASER and export.store == index

    def _once_rate(self, file: Path, use: Use) -> tuple[str, str]:
        """A use inside an exported function that runs once (or the constructor of a class
        built once) runs once; any other keeps the rate its file gave it."""
        if not _runs_as_often_as_its_caller(use):
            return use.rate, use.reason
        witness = self.once.get((file, use.caller))
        if witness is None:
            return use.rate, use.reason
        return _ONCE, f"runs once: {self.once_reason(use.caller, witness)}"

    def once_reason(self, export: str, witness: Witness) -> str:
        """'`createPinger()` is called only by code that runs once, e.g. app.js:12'."""
        file, use = witness
        where = f"{self.shown(file)}:{use.span.line}"
        return f"{callee_text(export, use)} is called only by code that runs once, e.g. {where}"

    def caller_reason(self, witness: Witness) -> str:
        """Why the code that makes ``witness``'s call runs once ("runs once, at module level";
        for a call inside another once-running export, why that one does)."""
        file, use = witness
        return use.reason if use.rate == _ONCE else self._once_rate(file, use)[1]

    def _runs_once(
        self, resolved: dict[Path, list[tuple[Use, tuple[Path, str]]]]
    ) -> dict[tuple[Path, str], Witness]:
        """Exports (functions, and classes' constructors as ``new:<Class>``) every caller of
        which in the project runs once: a worklist to the least fixpoint, so a cycle of calls
        proves nothing and each export is decided again only when one of its callers is."""
        callers: dict[tuple[Path, str], list[Witness]] = defaultdict(list)
        handed_on: set[tuple[Path, str]] = set()
        for file, uses in resolved.items():
            for use, target in uses:
                if use.action == CALL:
                    callers[target].append((file, use))
                elif use.action == NEW:
                    callers[(target[0], CONSTRUCTOR_PREFIX + target[1])].append((file, use))
                elif use.action == PASS:
                    handed_on.update((target, (target[0], CONSTRUCTOR_PREFIX + target[1])))
        whole = self._modules_handed_on()
        # An export waits on the exported functions its callers sit in.
        waiting: dict[tuple[Path, str], list[tuple[Path, str]]] = defaultdict(list)
        for key, found in callers.items():
            for file, use in found:
                if use.caller:
                    waiting[(file, use.caller)].append(key)
        once: dict[tuple[Path, str], Witness] = {}
        work = list(callers)
        while work:
            key = work.pop()
            if key in once or key in handed_on or key[0] in whole:
                continue
            found = callers[key]
            if all(self._runs_once_there(file, use, once) for file, use in found):
                once[key] = min(found, key=lambda w: (str(w[0]), w[1].span.line))
                work.extend(waiting.get(key, ()))
        return once

    @staticmethod
    def _runs_once_there(file: Path, use: Use, once: dict[tuple[Path, str], Witness]) -> bool:
        if use.looped:
            return False
        if use.rate == _ONCE:
            return True
        return _runs_as_often_as_its_caller(use) and (file, use.caller) in once

    def _modules_handed_on(self) -> set[Path]:
        """Modules handed on whole (`import * as lib` passed as a value, a module required
        inside a function), with every module they re-export from: none of their exports can
        be shown to run once."""
        found: set[Path] = set()
        whole = [
            (file, use.specifier)
            for file, summary in self.summaries.items()
            for use in summary.uses
            if use.action == PASS and use.imported == "*"
        ]
        whole += [
            (file, specifier)
            for file, summary in self.summaries.items()
            for specifier in summary.unfollowed
        ]
        stack = [
            target
            for file, specifier in whole
            for target in (self.resolver.resolve(file, specifier),)
            if target is not None and target in self.summaries
        ]
        while stack:
            module = stack.pop()
            if module in found:
                continue
            found.add(module)
            for reexport in self.summaries[module].reexports:
                target = self.resolver.resolve(module, reexport.specifier)
                if target is not None and target in self.summaries:
                    stack.append(target)
        return found

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


def _runs_as_often_as_its_caller(use: Use) -> bool:
    """A use that runs once per call of the exported function it is in ("per call"), or once
    per instance of the exported class it is in (its constructor, a field, a method its file
    says runs once per instance): how often that caller runs decides."""
    if use.looped or not use.caller:
        return False
    constructed = use.caller.startswith(CONSTRUCTOR_PREFIX)
    return use.rate == (_PER_INSTANCE if constructed else _PER_CALL)


def callee_text(export: str, use: Use) -> str:
    """How messages show an export that ``use`` calls: `f()`, `new C()` for a constructor, and
    a default export by the module the caller names (its own name is not the caller's)."""
    constructed = export.startswith(CONSTRUCTOR_PREFIX)
    name = export[len(CONSTRUCTOR_PREFIX) :] if constructed else export
    if name == "default":
        what = "class" if constructed else "function"
        return f"the {what} '{use.specifier}' exports by default"
    return f"`new {name}()`" if constructed else f"`{name}()`"
