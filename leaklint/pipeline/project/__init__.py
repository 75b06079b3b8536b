"""Project-wide analysis: module resolution (``resolve``) and the link over the module graph
(``graph``). Both work on small per-file summaries (``leaklint.model.project``), never on
other files' trees."""
