"""The syntax layer: source bytes and positions, parsing with tree-sitter, grammar repairs."""
