"""Every write of the goals app; one module per concern."""
