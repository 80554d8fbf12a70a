"""The patient's recruitment page for HN2301 with the chat widget (static files, tiny server)."""
