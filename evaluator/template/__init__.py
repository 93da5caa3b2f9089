"""Data-collection templates (``civic template``): the Excel workbook and YAML skeleton of one unit, generated
from a pack's data dictionary. ``layout`` is shared with the readers in ``evaluator.batch``."""
