"""The analysis layer: questions the rules share — how often code runs, where values go, what
can throw, which resources are acquired and released on which paths, and who owns them.

A rule that needs its own variant of one of these is a sign that the analysis is missing
something: extend it here."""
