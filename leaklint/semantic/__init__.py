"""The semantic layer: scopes and bindings, references, imports, and ``FileContext``."""
