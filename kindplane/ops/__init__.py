"""Live operations against Docker and the registry: look-ups, the registry API, doctor,
preflight checks and tool setup. They read the core's config and names; the core never
imports them.
"""
