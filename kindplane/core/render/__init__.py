"""Pure renderings of a validated config: no Pulumi, no I/O, same input → same text."""
