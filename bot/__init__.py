"""HN2301 pre-screening assistant: the product core (no Rasa imports)."""
