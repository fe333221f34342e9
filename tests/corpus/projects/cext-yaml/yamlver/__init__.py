"""Reports the libyaml version through a small C extension."""
