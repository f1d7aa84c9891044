"""``tier3 audit``: the site judged for auditors, every rule of the one catalogue, with evidence.

``model`` holds the report as data (results, scope, provenance, waivers, controls); the writers of
``tier3.audit.writers`` print it as JSON, JUnit, Markdown, HTML and OSCAL; ``assemble`` builds it
from what a run collected (the declared rules on the inventory, ``tier3 check``'s report of the live
hosts, the drills' last reports) and applies the inventory's waivers.
"""
