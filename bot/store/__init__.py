"""The referral store: SQLAlchemy models, the repository package (a module a job), migrations.

Everything the chat and the coordinator dashboard keep lives here, and nothing else: the
pre-screen stores only what a coordinator needs to follow up a consenting patient.
"""
