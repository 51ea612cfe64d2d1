"""Every write with a rule lives here; see the modules for each concern."""
