"""Everything that knows a target system."""
