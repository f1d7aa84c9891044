"""tier3: provision and audit bare-metal hosts for a highly available mail service.

Layers, imports only downward: model/errors -> schema, parsers -> rules -> report, lab, ... -> cli.
"""

__version__ = "0.1.0"
