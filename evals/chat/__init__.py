"""Chat eval: questions over demo workspaces in known states, answers checked automatically."""
