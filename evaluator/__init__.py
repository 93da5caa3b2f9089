"""The engine: loading with locations, lints, the expression language, scoring, roll-up, renderers, storage."""
